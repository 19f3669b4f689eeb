/** Column projection in Chromium (cases: test/helpers/projection-cases.ts). */
import { describe } from 'vitest'
import * as api from '../../src/index.js'
import { projectionCases } from '../helpers/projection-cases.js'

describe('column projection in Chromium', () => {
  projectionCases(api)
})
