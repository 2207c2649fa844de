import { describe, expect, it } from 'vitest';
import { contextSecrets, parseDeployContext } from '../../../containers/shared/deploy-context.ts';

const VALID = {
  token: 'ghs_token_value',
  cloneUrl: 'https://github.com/acme/weather.git',
  env: { WEATHER_API_KEY: 'wx_secret_value', DEBUG: '1' },
  server: { kind: 'local', host: '127.0.0.1', sshUser: 'deploy', sshPort: 22, baseDir: '/srv' },
};

describe('parseDeployContext', () => {
  it('accepts a local context and lists its secrets, leaving out values too short to be one', () => {
    const context = parseDeployContext(VALID);
    expect(contextSecrets(context)).toEqual(['ghs_token_value', 'wx_secret_value']);
  });

  it.each([
    [
      'a value with a line break',
      { ...VALID, env: { WEATHER_API_KEY: 'wx_secret\nINJECTED=1' } },
      'env.WEATHER_API_KEY',
    ],
    ['a name that is no variable name', { ...VALID, env: { 'BAD NAME': 'wx_secret_value' } }, 'env'],
    ['a relative base dir', { ...VALID, server: { ...VALID.server, baseDir: 'srv' } }, 'server.baseDir'],
  ])('refuses %s, naming the field but never the value', (_case, value, field) => {
    expect(() => parseDeployContext(value)).toThrowError(
      expect.objectContaining({ name: 'DeployContextError', message: expect.stringContaining(field) }),
    );
    try {
      parseDeployContext(value);
    } catch (error) {
      expect((error as Error).message).not.toContain('wx_secret');
    }
  });

  it('refuses an ssh server without a key', () => {
    expect(() => parseDeployContext({ ...VALID, server: { ...VALID.server, kind: 'ssh' } })).toThrow(
      /server.privateKey is required/,
    );
  });
});
