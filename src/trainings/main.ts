/** Production entry point of the trainings service. */
import { serve } from '../shared/serve.js';
import { loadTrainingsConfig } from './config.js';
import { buildTrainingsService } from './service.js';

await serve(loadTrainingsConfig, (config) => buildTrainingsService(config, { logger: true }), new URL('./migrations', import.meta.url));
