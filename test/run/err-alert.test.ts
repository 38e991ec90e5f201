import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { llama, tempHome } from '../helpers/llama.js';

describe('llama run --err-alert', () => {
  it('refuses to start without SLACK_API_TOKEN_LLAMA', async () => {
    const { env, runDir } = tempHome();
    const r = await llama(['run', `${runDir}/`, '-F', '-o', '--err-alert', '-f', 'ZtfTriggerList'], { env: { ...env, SLACK_API_TOKEN_LLAMA: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--err-alert needs SLACK_API_TOKEN_LLAMA');
  });

  it('posts unhandled exceptions to the maintainers with chat.postMessage, never leaking the token', async () => {
    const calls: { url: string; body: string; auth: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        calls.push({ url: req.url ?? '', body, auth: req.headers.authorization ?? '' });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ok: true, channel: 'C1', ts: '1.2' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const { env, runDir } = tempHome();
      const token = 'xoxb-secret-test-token';
      const r = await llama(['run', `${runDir}/`, '-F', '-o', '--err-alert', '-f', 'ZtfTriggerList'], {
        env: { ...env, SLACK_API_TOKEN_LLAMA: token, SLACK_API_URL: `http://127.0.0.1:${port}/api/`, LLAMA_FAULT_INJECT: 'pass', LLAMA_SLACK_MAINTAINERS: 'U123ABC' },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('unhandled exception in a pass');
      expect(calls).toHaveLength(1);
      expect(calls[0]?.url).toBe('/api/chat.postMessage');
      expect(calls[0]?.auth).toBe(`Bearer ${token}`);
      const body = new URLSearchParams(calls[0]?.body);
      expect(body.get('channel')).toBe('llama-notifications');
      expect(body.get('text')).toContain('<@U123ABC>');
      expect(body.get('text')).toContain('injected fault');
      expect(r.stderr).not.toContain(token);
    } finally {
      server.close();
    }
  });
});
