import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { defaultConfigPath, diffConfig, loadConfig, validateConfig } from '../../config/index.js';

const shipped = () => parse(readFileSync(defaultConfigPath(), 'utf8'));

describe('config', () => {
  it('loads the shipped config with at least 8 corridors, JPY and a 3-decimal currency among them', () => {
    const { config, version } = loadConfig(defaultConfigPath());
    expect(version).toMatch(/^c_[0-9a-f]{8}$/);
    const ids = Object.keys(config.corridors);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    expect(ids).toEqual(expect.arrayContaining(['USD-INR', 'GBP-INR', 'EUR-INR', 'AED-INR', 'USD-PHP', 'USD-MXN', 'GBP-EUR', 'USD-JPY', 'KWD-INR']));
    expect(Object.isFrozen(config.corridors['USD-INR'])).toBe(true);
  });

  it('refuses an unknown key and names it', () => {
    const doc = shipped();
    doc.corridors['USD-INR'].spredBps = '10';
    expect(() => validateConfig(doc)).toThrow(/corridors\.USD-INR: Unrecognized key: "spredBps"/);
  });

  it('refuses a spread given as a number, naming the path', () => {
    const doc = shipped();
    doc.corridors['GBP-INR'].tiers[0].spreadBps = 60;
    expect(() => validateConfig(doc)).toThrow(/corridors\.GBP-INR\.tiers\.0\.spreadBps/);
  });

  it('refuses tiers out of order, a bad currency and min above max', () => {
    const doc = shipped();
    doc.corridors['USD-INR'].tiers = [{ upTo: '1000', spreadBps: '10' }, { upTo: '500', spreadBps: '5' }, { spreadBps: '1' }];
    doc.corridors['ZZZ-INR'] = { ...doc.corridors['USD-INR'], tiers: [{ spreadBps: '1' }] };
    doc.corridors['USD-MXN'].minAmount = '99999999';
    let message = '';
    try {
      validateConfig(doc);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/corridors\.USD-INR\.tiers\.1\.upTo: tiers must be in increasing upTo order/);
    expect(message).toMatch(/corridors\.ZZZ-INR: send currency ZZZ is not ISO 4217/);
    expect(message).toMatch(/corridors\.USD-MXN\.minAmount: minAmount must be below maxAmount/);
  });

  it('gives the same version to the same content, whatever the key order', () => {
    const a = shipped();
    const b = Object.fromEntries(Object.entries(shipped()).reverse());
    expect(validateConfig(a).version).toBe(validateConfig(b).version);
  });

  it('diffs configs leaf by leaf', () => {
    const a = shipped();
    const b = shipped();
    b.corridors['USD-INR'].tiers[1].spreadBps = '35';
    expect(diffConfig(a, b)).toEqual([{ path: 'corridors.USD-INR.tiers.1.spreadBps', old: '40', new: '35' }]);
  });
});
