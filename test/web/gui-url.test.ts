import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RctSlkLmaSkymapInfo } from '../../pipelines/llama/src/rules/receipts.js';
import { llamaEventUrl } from '../../pipelines/llama/src/summary/links.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { contextFor, makeEvent, SKYMAP_INFO, type TempEvent } from '../reports/context.js';
import { tempHome } from '../helpers/llama.js';
import { startServe } from './helpers.js';

const TOKEN = 'xoxb-1111-llama-secret-token';

describe('LLAMA_GUI_URL set to the served address: the summaries’ and receipts’ links open the event page', () => {
  let slack: FakeSlack;
  let event: TempEvent;
  let server: Awaited<ReturnType<typeof startServe>>;
  beforeAll(async () => {
    slack = await startFakeSlack({ tokens: [TOKEN] });
    event = makeEvent('S250101ab');
    event.write('skymap_info.json', JSON.stringify(SKYMAP_INFO));
    event.commit('skymap info', 'skymap_info.json');
    const { env } = tempHome('llama-gui-url-');
    server = await startServe([`${event.runDir}/`], env);
  });
  afterAll(async () => {
    await server?.stop();
    await slack?.close();
  });

  it('the summary’s link (with or without a trailing slash) is the event page', async () => {
    for (const base of [`${server.url}/`, server.url]) {
      const url = llamaEventUrl(event.runDir, event.eventId, { LLAMA_GUI_URL: base }) as string;
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const html = await res.text();
      expect(html).toContain(`<title>llama ${event.eventId}</title>`);
      expect(html).toContain('<svg');
    }
  });

  it('the Slack receipt’s LLAMA_LINK is the event page', async () => {
    const { ctx } = contextFor(RctSlkLmaSkymapInfo, event, {
      env: { SLACK_API_URL: slack.apiUrl, SLACK_API_TOKEN_LLAMA: TOKEN, SLACK_RETRY_BASE_MS: '5', LLAMA_GUI_URL: `${server.url}/` },
    });
    await RctSlkLmaSkymapInfo.generate(ctx);
    const comment = [...slack.files.values()].find((f) => f.initialComment !== undefined)?.initialComment ?? '';
    const link = /LLAMA_LINK\W+(http\S+)/.exec(comment)?.[1];
    expect(link, comment).toBe(`${server.url}/${encodeURIComponent(event.runDir.split('/').at(-1) as string)}/${event.eventId}`);
    const res = await fetch(link as string);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`<title>llama ${event.eventId}</title>`);
  });
});
