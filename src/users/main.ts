/** Production entry point of the users service. */
import { serve } from '../shared/serve.js';
import { loadUsersConfig } from './config.js';
import { buildUsersService } from './service.js';

await serve(loadUsersConfig, (config) => buildUsersService(config, { logger: true }), new URL('./migrations', import.meta.url));
