#!/usr/bin/env node
/**
 * The `arrowseal` command line. Everything lives in run.ts; this file only exists to carry the shebang and
 * to set the exit code.
 * @module
 */
import { run } from './run.js'

process.exitCode = await run(process.argv.slice(2))
