#!/usr/bin/env node
// The `compliance-sandbox` bin. A committed stub (not the built file itself) so that `npm ci` can
// link it before the first build; it runs the built CLI from ../dist.
import process from 'node:process';
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv);
