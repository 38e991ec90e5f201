// Regenerate docs/llama-serve-event.png: the event page of the bundled example as `llama serve`
// shows it. Run after `npm run example` (the example events must be built); needs Debian's
// chromium (/usr/bin/chromium), driven by playwright-core from the test workspace.
//   node scripts/screenshot-serve.mjs [EVENT]   (default MS260102b)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const event = process.argv[2] ?? 'MS260102b';
const serve = spawn(process.execPath, [join(repo, 'packages/cli/bin/llama.js'), 'serve', `${join(repo, 'examples/run')}/`, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, LLAMA_DEV_MODE: '1' },
});
try {
  const url = await new Promise((resolve, reject) => {
    let seen = '';
    const look = (chunk) => {
      seen += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+\S*/.exec(seen);
      if (match) resolve(match[0].replace(/\/$/, ''));
    };
    serve.stdout.on('data', look);
    serve.stderr.on('data', look);
    serve.on('exit', (code) => reject(new Error(`llama serve exited (${code}): ${seen}`)));
    setTimeout(() => reject(new Error(`llama serve printed no address: ${seen}`)), 20_000);
  });
  const { chromium } = await import(join(repo, 'node_modules/playwright-core/index.mjs'));
  const profile = mkdtempSync(join(tmpdir(), 'llama-shot-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1500, height: 1250 },
  });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/run/${event}`, { waitUntil: 'networkidle' });
    await page.waitForTimeout(1500); // the PDF preview is drawn by pdf.js after load
    const out = join(repo, 'docs/llama-serve-event.png');
    await page.screenshot({ path: out });
    console.log(`wrote ${out} from ${url}/run/${event}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
} finally {
  serve.kill('SIGTERM');
}
