/** Injection tokens of the indexer module (explicit, as everywhere in the API: see ../tokens.ts). */
export const INDEXER_SETTINGS = Symbol("INDEXER_SETTINGS");
export const INDEXER_READERS = Symbol("INDEXER_READERS");
export const CHAIN_EVENTS_REPOSITORY = Symbol("CHAIN_EVENTS_REPOSITORY");
