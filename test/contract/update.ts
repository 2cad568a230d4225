/** `npm run contract:update`: writes the users API's document from its route schemas (see contract.ts). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DOCUMENT_FILE, generateUsersDocument } from './contract.js';

writeFileSync(DOCUMENT_FILE, `${JSON.stringify(await generateUsersDocument(), null, 2)}\n`);
console.log(`wrote ${fileURLToPath(DOCUMENT_FILE)}; npm run test:contract says whether the trainings service still agrees`);
