/**
 * The Arrow layer of arrowseal: access-group layouts and their IPC encodings.
 *
 * @module
 */

export { fieldsEqual, metadataEqual, schemasEqual, typesEqual } from './equality.js'
export { decodeGroupBatch, encodeGroupBatch } from './ipc.js'
export { type GroupLayout, planGroups } from './layout.js'
export { mergeBatches, mergeSchemas } from './merge.js'
export { decodeGroupSchema, encodeGroupSchema } from './schema-codec.js'
