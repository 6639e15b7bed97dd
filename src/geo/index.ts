// Public surface of geo: client address → facts (custom networks, MaxMind DBs) and the sample-database writer.
export { type ClientFacts, NO_FACTS } from './facts.ts';
export {
  type GeoDatabase,
  geoDigest,
  geoDigestSliced,
  type GeoFiles,
  loadGeoDatabase,
  loadGeoDatabaseSliced,
} from './database.ts';
export type { MmdbFields } from './mmdb-data.ts';
export { type FactTable, FactTree } from './fact-tree.ts';
export { type Mmdb, openMmdb, openMmdbSliced } from './mmdb.ts';
export { MmdbUint, type MmdbNetwork, type MmdbValue, writeMmdb } from './mmdb-writer.ts';
export { buildSampleDatabases } from './sample.ts';
export { type CustomNetwork, parseNetworks } from './networks.ts';
export { PrefixTrie, type TrieNode } from './trie.ts';
