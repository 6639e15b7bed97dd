// Types for test-only packages that ship none (siphash: the reference the hand-written SipHash is checked against).
declare module 'parse-prometheus-text-format' {
  interface Sample {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface Family {
    name: string;
    help: string;
    type: string;
    metrics: Sample[];
  }
  export default function parsePrometheusTextFormat(text: string): Family[];
}

declare module 'siphash' {
  const siphash: {
    /** The 64-bit hash of `message` under a 128-bit key given as four little-endian 32-bit words. */
    hash(key: Uint32Array, message: Uint8Array): { h: number; l: number };
  };
  export default siphash;
}
