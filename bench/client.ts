/**
 * Client rate-budget benchmark (issue 4): run the Compliance API client for BENCH_SECONDS (default
 * 60) against the sandbox limited to 600 rpm, with the client's budget at 540 rpm, under latency,
 * with more concurrent work than the budget allows. Prints one line:
 *   budget_utilization=<achieved rpm / budget> rate_limited=<429 count> requests=<n>
 * (details go to stderr). Target: utilization >= 0.97 and zero 429s.
 *
 * Latency comes from the sandbox's own adversity scenario (issue 3): 50-400 ms uniform plus a 2 %
 * tail of +1.5 s, applied after its rate limiter counted the request. BENCH_PROXY_LATENCY=1
 * instead puts a delaying proxy (40-260 ms) in front of a latency-free sandbox.
 */
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createComplianceClient, type ComplianceClient, type LedgerEntry } from '../src/api/index.js';
import { startSandbox } from '@compliance-export/sandbox';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const BUDGET = 540;
const SANDBOX_RPM = 600;
const WORKERS = 16;
const LATENCY_MS: [number, number] = [40, 260];
const SANDBOX_LATENCY = { minMs: 50, maxMs: 400, tailRate: 0.02, tailMs: 1500 };

async function startDelayProxy(target: string): Promise<{ baseUrl: string; server: Server }> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server = createServer((req, res) => {
    const delay = LATENCY_MS[0] + Math.random() * (LATENCY_MS[1] - LATENCY_MS[0]);
    setTimeout(() => {
      const up = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
          agent,
        },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** An endless mix of list walks, message fetches and downloads, shared by all workers. */
async function* operations(client: ComplianceClient): AsyncGenerator<() => Promise<unknown>> {
  const orgs: string[] = [];
  for await (const p of client.listOrganizations()) orgs.push(...p.items.map((o) => o.uuid));
  const chats: string[] = [];
  for await (const p of client.listChats({ limit: 20 })) chats.push(...p.items.map((c) => c.id));
  for (let round = 0; ; round++) {
    const chat = chats[round % chats.length]!;
    yield () => client.getChatMessages(chat, { tool_use_input_max_chars: -1, tool_result_max_chars: -1 });
    yield () => client.listChats({ limit: 5 }).next();
    yield () => client.listUsers(orgs[round % orgs.length]!, { limit: 5 }).next();
    yield () => client.listActivities({ limit: 20 }).next();
    yield () => client.listCodeArtifacts({ limit: 2 }).next();
    yield () => client.listProjects({ limit: 2 }).next();
  }
}

async function main(): Promise<void> {
  const useProxy = process.env.BENCH_PROXY_LATENCY === '1';
  const sb = await startSandbox({
    port: 0,
    seed: 1,
    profile: 'small',
    rpm: SANDBOX_RPM,
    ...(useProxy ? {} : { scenario: { faults: { latency: SANDBOX_LATENCY } } }),
  });
  const proxy = useProxy ? await startDelayProxy(sb.baseUrl) : null;
  const ledger: LedgerEntry[] = [];
  const client = createComplianceClient({
    baseUrl: proxy?.baseUrl ?? sb.baseUrl,
    apiKey: sb.keys.full,
    requestsPerMinute: BUDGET,
    maxInFlight: 8,
    ledger: (e) => ledger.push(e),
  });
  const ops = operations(client);
  const start = Date.now();
  const deadline = start + SECONDS * 1000;
  let failures = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const next = await ops.next();
      if (next.done === true) return;
      await next.value().catch(() => (failures += 1));
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, () => worker()));
  await client.close();
  const stats = client.stats();
  const sandboxStats = (await (await fetch(`${sb.baseUrl}/_sandbox/stats`)).json()) as {
    rateLimited: number;
    total: number;
  };
  proxy?.server.closeAllConnections();
  proxy?.server.close();
  await sb.close();

  // Achieved rate over the measured window: attempts started within [first start, first + SECONDS).
  const starts = ledger.map((e) => Date.parse(e.ts)).sort((a, b) => a - b);
  const first = starts[0] ?? start;
  const inWindow = starts.filter((t) => t < first + SECONDS * 1000).length;
  const achievedRpm = inWindow / (SECONDS / 60);
  const durations = ledger.map((e) => e.duration_ms).sort((a, b) => a - b);
  process.stderr.write(
    `latency=${useProxy ? 'proxy' : 'sandbox'} seconds=${SECONDS} budget_rpm=${BUDGET} sandbox_rpm=${SANDBOX_RPM} achieved_rpm=${achievedRpm.toFixed(1)} ` +
      `attempts_total=${stats.requests} retries=${stats.retries} failed_ops=${failures} ` +
      `sandbox_429=${sandboxStats.rateLimited} latency_p50_ms=${durations[Math.floor(durations.length / 2)] ?? 0} ` +
      `latency_p95_ms=${durations[Math.floor(durations.length * 0.95)] ?? 0} ` +
      `retry_causes=${JSON.stringify(ledger.filter((e) => e.outcome !== 'ok').map((e) => e.error))}\n`,
  );
  process.stdout.write(
    `budget_utilization=${(achievedRpm / BUDGET).toFixed(3)} rate_limited=${stats.rateLimited} requests=${inWindow}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String(error)}\n`);
  process.exitCode = 1;
});
