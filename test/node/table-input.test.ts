/** The input forms on the Node entry, a Node `Readable` included (cases: test/helpers/table-input-cases.ts). */
import { Readable } from 'node:stream'
import { describe } from 'vitest'
import * as api from '../../src/index.node.js'
import { tableInputCases } from '../helpers/table-input-cases.js'

describe('table input forms in Node, Node Readable included', () => {
  tableInputCases(api, (chunks) => [Readable.from(chunks.map((c) => Buffer.from(c)))])
})
