/**
 * The golden-file suite again with the Node entry's post-quantum provider installed (native on Node 24): keys
 * made natively, deterministic signing and eseed encapsulation on noble, so every golden file still opens and
 * rebuilds byte for byte.
 */
import '../golden/golden.test.ts'
import { expect, it } from 'vitest'
import { postQuantum } from '../../src/keys/pq.js'
import { installNodePostQuantum } from '../../src/node/install-pq.js'

// The Node entry installs the provider by this call (a bare import would be dropped by the bundler).
installNodePostQuantum()

it('runs with the native provider where the runtime has it', () => {
  expect(postQuantum().name).toBe(Number(process.versions.node.split('.')[0]) >= 24 ? 'native' : 'noble')
})
