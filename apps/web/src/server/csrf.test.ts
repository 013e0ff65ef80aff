import { describe, expect, it } from 'vitest';
import { hasJsonBody, isCrossSiteRequest } from './csrf';

const url = 'http://localhost:3000/api/trpc/setup.createFirstAdmin';
const post = (headers: Record<string, string>) => new Request(url, { method: 'POST', headers });

describe('isCrossSiteRequest', () => {
  it('accepts same-origin and trusted origins', () => {
    expect(isCrossSiteRequest(post({ origin: 'http://localhost:3000' }), [])).toBe(false);
    expect(isCrossSiteRequest(post({ origin: 'https://soc.example.com' }), ['https://soc.example.com'])).toBe(
      false,
    );
  });

  it('rejects a foreign origin', () => {
    expect(isCrossSiteRequest(post({ origin: 'https://evil.example' }), ['https://soc.example.com'])).toBe(
      true,
    );
    expect(isCrossSiteRequest(post({ origin: 'null' }), [])).toBe(true);
  });

  it('falls back to Sec-Fetch-Site when Origin is absent', () => {
    expect(isCrossSiteRequest(post({ 'sec-fetch-site': 'cross-site' }), [])).toBe(true);
    expect(isCrossSiteRequest(post({ 'sec-fetch-site': 'same-site' }), [])).toBe(true);
    expect(isCrossSiteRequest(post({ 'sec-fetch-site': 'same-origin' }), [])).toBe(false);
    expect(isCrossSiteRequest(post({}), [])).toBe(false);
  });

  it('never blocks reads', () => {
    expect(isCrossSiteRequest(new Request(url, { headers: { origin: 'https://evil.example' } }), [])).toBe(
      false,
    );
  });
});

describe('hasJsonBody', () => {
  it('requires application/json on writes', () => {
    expect(hasJsonBody(post({ 'content-type': 'application/json; charset=utf-8' }))).toBe(true);
    expect(hasJsonBody(post({ 'content-type': 'application/x-www-form-urlencoded' }))).toBe(false);
    expect(hasJsonBody(post({ 'content-type': 'text/plain' }))).toBe(false);
    expect(hasJsonBody(new Request(url))).toBe(true);
  });
});
