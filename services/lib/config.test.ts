import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, secret } from './config';

describe('configuration', () => {
  it('applies local defaults and parses lists', () => {
    const cfg = loadConfig({}, { YOUFU_KAFKA_BROKERS: 'a:1, b:2' });
    expect(cfg.YOUFU_KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(cfg.YOUFU_TEMPORAL_NAMESPACE).toBe('youfu');
  });
  it('stops with the name of every bad variable', () => {
    try {
      loadConfig({ YOUFU_X_PORT: z.coerce.number().int() }, { YOUFU_PG_ADMIN_URL: 'not a url', YOUFU_X_PORT: 'abc' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toMatch(/YOUFU_PG_ADMIN_URL/);
      expect((e as ConfigError).message).toMatch(/YOUFU_X_PORT/);
    }
  });
  it('requires a real signing key in production', () => {
    expect(() => loadConfig({}, { YOUFU_ENV: 'production' })).toThrow(/YOUFU_JWT_SECRET/);
  });
  it('fills any secret with its development value outside production, and requires it in production', () => {
    const shape = { YOUFU_X_KEY: secret('dev-key') };
    expect(loadConfig(shape, {}).YOUFU_X_KEY).toBe('dev-key');
    expect(() => loadConfig(shape, { YOUFU_ENV: 'production', YOUFU_JWT_SECRET: 'k'.repeat(40), YOUFU_PAYLOAD_KEYS: 'x' })).toThrow(/YOUFU_X_KEY: required in production/);
    expect(loadConfig(shape, { YOUFU_ENV: 'production', YOUFU_JWT_SECRET: 'k'.repeat(40), YOUFU_X_KEY: 'real' }).YOUFU_X_KEY).toBe('real');
  });
});
