import { expect } from 'chai';
import { ConfigError } from '../../../src/shared/env.js';
import { loadTrainingsConfig } from '../../../src/trainings/config.js';

describe('loadTrainingsConfig', function () {
  const complete = {
    TRAININGS_DB_HOST: 'db',
    TRAININGS_DB_NAME: 'trainings',
    TRAININGS_DB_USER: 'svc',
    TRAININGS_USERS_URL: 'http://users:8080',
  };

  it('reads the variables, with defaults for port, password and HTTP', function () {
    expect(loadTrainingsConfig(complete)).to.deep.equal({
      http: { host: '0.0.0.0', port: 8080 },
      db: { host: 'db', port: 5432, database: 'trainings', user: 'svc', password: '' },
      usersServiceUrl: 'http://users:8080',
      usersTimeoutMs: 3000,
    });
  });

  it('lists every missing or malformed variable at once', function () {
    const load = () => loadTrainingsConfig({ TRAININGS_DB_HOST: 'db', TRAININGS_DB_PORT: 'five', TRAININGS_DB_NAME: '' });
    expect(load).to.throw(
      ConfigError,
      'invalid configuration: TRAININGS_DB_PORT must be a non-negative integer, got "five"; TRAININGS_DB_NAME is required; ' +
        'TRAININGS_DB_USER is required; TRAININGS_USERS_URL is required',
    );
  });
});
