/** The input forms in Chromium (cases: test/helpers/table-input-cases.ts). */
import { describe } from 'vitest'
import * as api from '../../src/index.js'
import { tableInputCases } from '../helpers/table-input-cases.js'

describe('table input forms in Chromium', () => {
  tableInputCases(api)
})
