import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The rows a terminal shows for `raw` output: `\n` starts a new row, `\r` returns to its first
 * column, `ESC [ K` erases from the cursor to the end of the row; other escape sequences are
 * dropped. Enough to see what `llama run` draws (log lines and its progress line).
 */
export function screenRows(raw: string): string[] {
  const rows: string[] = [];
  let row: string[] = [];
  let col = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === '\n') {
      rows.push(row.join(''));
      row = [];
      col = 0;
    } else if (ch === '\r') {
      col = 0;
    } else if (ch === '\x1b' && raw[i + 1] === '[') {
      let j = i + 2;
      while (j < raw.length && !/[A-Za-z]/.test(raw[j] as string)) j++;
      if (raw[j] === 'K') row.length = Math.min(row.length, col);
      i = j;
    } else {
      row[col] = ch;
      col++;
    }
  }
  if (row.length > 0) rows.push(row.join(''));
  return rows;
}

/** Debian's python3 (the pyenv one first on PATH may lack nothing, but this one is known). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/**
 * Run `argv` with stdin, stdout and stderr on a pseudo-terminal of `columns` columns (python3's
 * pty module) and return everything it wrote to the terminal.
 */
export function runInPty(argv: readonly string[], env: Record<string, string>, columns = 120, cwd?: string): { code: number | null; output: string } {
  const script = `
import fcntl, os, struct, subprocess, sys, termios, json
argv = json.loads(sys.argv[1])
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 40, ${columns}, 0, 0))
p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
os.close(slave)
out = bytearray()
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
code = p.wait()
sys.stdout.buffer.write(out)
sys.exit(code)
`;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script, JSON.stringify(argv)], { env: { ...process.env, ...env }, cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, output: r.stdout };
}

export const hasSystemPython = existsSync(SYSTEM_PYTHON);
