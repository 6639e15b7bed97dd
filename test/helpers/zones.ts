// Zone texts shared by tests.
import { readFileSync } from 'node:fs';

export const SAMPLE_ZONE = readFileSync(new URL('../../zones/example.com.yaml', import.meta.url), 'utf8');

/** A static zone with every case a lookup has to get right; test/fixtures/static/ holds the same data as an RFC 1035 file. */
export const STATIC_ZONE = readFileSync(new URL('../fixtures/static/example.test.yaml', import.meta.url), 'utf8');
export const STATIC_ZONE_RFC1035 = readFileSync(new URL('../fixtures/static/example.test.zone', import.meta.url), 'utf8');
