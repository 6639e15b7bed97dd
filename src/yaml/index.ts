// Public surface of yaml: files read into a tree with positions (js-yaml, checked, with the yaml package for what it
// cannot vouch for), the collector of problems, and typed field readers. Pure.
export { Collector, MAX_DIAGNOSTICS_PER_FILE } from './collector.ts';
export { readInteger, readMapping, readString } from './fields.ts';
export { type Entry, parseYaml, readYamlMapping } from './read.ts';
export {
  keyText,
  mapPairs,
  type Pair,
  type Position,
  scalarText,
  scalarValue,
  seqItems,
  type YamlNode,
} from './tree.ts';
