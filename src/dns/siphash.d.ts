// Types for the siphash package (SipHash-2-4, by libsodium's author), a CommonJS module that ships none.
declare module 'siphash' {
  const siphash: {
    /** The 64-bit hash of `message` under a 128-bit key given as four little-endian 32-bit words. */
    hash(key: Uint32Array, message: Uint8Array): { h: number; l: number };
  };
  export default siphash;
}
