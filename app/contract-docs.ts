// Writes the contract documents generated from the wire schemas: docs/openapi.json and docs/asyncapi.yaml.
// `npm run contract:docs`; test/gateway/contract.test.ts fails while either file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config/index.js';
import { renderAsyncApi, renderOpenApi } from '../gateway/index.js';

const root = projectRoot();
writeFileSync(join(root, 'docs', 'openapi.json'), renderOpenApi());
writeFileSync(join(root, 'docs', 'asyncapi.yaml'), renderAsyncApi());
console.log('wrote docs/openapi.json and docs/asyncapi.yaml');
