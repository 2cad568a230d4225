import { expect } from 'chai';
import { checkTemplate, renderConfig, type ConfigTemplate } from '../../../internal/integration/config/config-templates.js';
import { PgspaceError } from '../../../internal/integration/common/errors.js';

const values = { database: 'pgs_db', user: 'pgs_db', password: 'secret', host: '/tmp/sock dir', port: '5433', url: 'postgresql://x' };
const template = (text: string): ConfigTemplate => ({ name: 'svc', file: 'config.d/svc.env', text });

describe('config.d templates', function () {
  it('render every placeholder, with or without spaces inside the braces', function () {
    const t = template('DB={{database}}\nUSER={{ user }}\nPASS={{password}}\nHOST="{{host}}"\nPORT={{port}}\nURL={{url}}\nSTATIC=1\n');
    checkTemplate(t);
    expect(renderConfig([t], values)).to.deep.equal({
      svc: { DB: 'pgs_db', USER: 'pgs_db', PASS: 'secret', HOST: '/tmp/sock dir', PORT: '5433', URL: 'postgresql://x', STATIC: '1' },
    });
  });

  const broken: { text: string; error: RegExp }[] = [
    { text: 'A=1\nDB={{databse}}\n', error: /unknown placeholder \{\{databse\}\} at config\.d\/svc\.env:2/ },
    { text: 'DB={{ host }} {{nope}}\n', error: /unknown placeholder \{\{nope\}\} at config\.d\/svc\.env:1/ },
    { text: 'A=1\nB=2\nDB={{database\n', error: /unbalanced \{\{ \}\} at config\.d\/svc\.env:3/ },
  ];
  for (const { text, error } of broken) {
    it(`reject ${JSON.stringify(text.trim().split('\n').pop())} naming file and line`, function () {
      expect(() => checkTemplate(template(text))).to.throw(PgspaceError, error);
    });
  }
});
