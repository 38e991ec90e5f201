import { ConfigError, describeError } from '@llama/core';

type Env = Readonly<Record<string, string | undefined>>;

export interface MaintainerAlerter {
  alert(summary: string, error: unknown): Promise<void>;
}

/**
 * `--err-alert`: report unhandled exceptions to the maintainers through the Slack Web API
 * (chat.postMessage, token SLACK_API_TOKEN_LLAMA, channel LLAMA_SLACK_ALERT_CHANNEL, default
 * llama-notifications; users in LLAMA_SLACK_MAINTAINERS are tagged). SLACK_API_URL points the
 * client elsewhere (tests use a fake on 127.0.0.1). A missing token is a startup error.
 */
export async function createMaintainerAlerter(env: Env, onSendFailure: (message: string) => void, command = 'llama run'): Promise<MaintainerAlerter> {
  const token = env['SLACK_API_TOKEN_LLAMA'];
  if (token === undefined || token === '') {
    throw new ConfigError('--err-alert needs SLACK_API_TOKEN_LLAMA (a Slack bot token of the LLAMA workspace) in the environment', { code: 'no-slack-token' });
  }
  const { WebClient } = await import('@slack/web-api');
  const client = new WebClient(token, {
    ...(env['SLACK_API_URL'] === undefined ? {} : { slackApiUrl: env['SLACK_API_URL'] }),
    retryConfig: { retries: 2, factor: 1, minTimeout: 200, maxTimeout: 1000 },
  });
  const channel = env['LLAMA_SLACK_ALERT_CHANNEL'] ?? 'llama-notifications';
  const maintainers = (env['LLAMA_SLACK_MAINTAINERS'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return {
    async alert(summary, error) {
      const tags = maintainers.map((m) => (/^[UW][A-Z0-9]+$/.test(m) ? `<@${m}>` : `@${m}`)).join(' ');
      const detail = error instanceof Error ? (error.stack ?? error.message) : describeError(error);
      const text = `${tags ? `${tags} ` : ''}${command} on ${process.env['HOSTNAME'] ?? 'this host'} (pid ${process.pid}): ${summary}\n\`\`\`${detail.slice(0, 3500).split(token).join('[token]')}\`\`\``;
      try {
        await client.chat.postMessage({ channel, text });
      } catch (sendError) {
        onSendFailure(`could not alert the maintainers on Slack: ${describeError(sendError).split(token).join('[token]')}`);
      }
    },
  };
}
