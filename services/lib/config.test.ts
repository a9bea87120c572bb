import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, secret } from './config';

const dev = { YOUFU_ENV: 'development' };
const prod = { YOUFU_ENV: 'production', YOUFU_JWKS: '/etc/youfu/jwks.json', YOUFU_JWT_ISSUER: 'https://idp.bureau.example' };

describe('configuration', () => {
  it('applies local defaults and parses lists', () => {
    const cfg = loadConfig({}, { ...dev, YOUFU_KAFKA_BROKERS: 'a:1, b:2' });
    expect(cfg.YOUFU_KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(cfg.YOUFU_TEMPORAL_NAMESPACE).toBe('youfu');
  });
  it('stops with the name of every bad variable', () => {
    try {
      loadConfig({ YOUFU_X_PORT: z.coerce.number().int() }, { ...dev, YOUFU_PG_ADMIN_URL: 'not a url', YOUFU_X_PORT: 'abc' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toMatch(/YOUFU_PG_ADMIN_URL/);
      expect((e as ConfigError).message).toMatch(/YOUFU_X_PORT/);
    }
  });
  it('fails closed: an unset YOUFU_ENV refuses to start, naming it', () => {
    expect(() => loadConfig({}, {})).toThrow(/YOUFU_ENV: required/);
  });
  it('requires real keys in production and refuses the development key set and HS256 there', () => {
    expect(() => loadConfig({}, { YOUFU_ENV: 'production' })).toThrow(/YOUFU_JWKS: required in production/);
    expect(() => loadConfig({}, { ...prod, YOUFU_JWKS: 'dev' })).toThrow(/YOUFU_JWKS: required in production/);
    expect(() => loadConfig({}, { ...prod, YOUFU_JWT_SECRET: 'k'.repeat(40) })).toThrow(/HS256 tokens are refused in production/);
    expect(loadConfig({}, prod).YOUFU_JWT_ISSUER).toBe('https://idp.bureau.example');
  });
  it('fills any secret with its development value outside production, and requires it in production', () => {
    const shape = { YOUFU_X_KEY: secret('dev-key') };
    expect(loadConfig(shape, dev).YOUFU_X_KEY).toBe('dev-key');
    expect(() => loadConfig(shape, prod)).toThrow(/YOUFU_X_KEY: required in production/);
    expect(loadConfig(shape, { ...prod, YOUFU_X_KEY: 'real' }).YOUFU_X_KEY).toBe('real');
  });
});
