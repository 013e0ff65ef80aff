import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';

type WasmBindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let bindings: Promise<WasmBindings> | undefined;

/** The part of the WebAssembly global we use (Node has it; the ES lib typings do not declare it). */
interface WasmGlobal {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;

/**
 * Loads Prisma's schema engine (WebAssembly build). The package imports its `.wasm` as an ES
 * module, which Node 20 cannot do, so the module is instantiated by hand once per process.
 */
function loadBindings(): Promise<WasmBindings> {
  bindings ??= (async () => {
    const require = createRequire(import.meta.url);
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as WasmBindings;
    const wasm = await readFile(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(wasm, {
      './schema_engine_bg.js': withTrackedTimers(bg),
    });
    bg.__wbg_set_wasm(instance.exports as never);
    (instance.exports.__wbindgen_start as () => void)();
    return bg;
  })();
  return bindings;
}

/** Timers the engine set and that have not fired yet, and the engines open now. */
const engineTimers = new Set<ReturnType<typeof setTimeout>>();
let openEngines = 0;

/**
 * The bindings with the engine's `setTimeout` import tracked. The engine arms a 10 s timer for
 * its migration lock and leaves it armed when the migration ends: a script that migrates (the
 * seed, `npm run db:migrate`) then waited 10 s before it could exit, and so did every browser test
 * file's seed. The timers are cleared once no engine is open.
 */
function withTrackedTimers(bg: WasmBindings): WasmBindings {
  const name = Object.keys(bg).find((k) => k.startsWith('__wbg_setTimeout_'));
  if (name === undefined) return bg;
  return {
    ...bg,
    [name]: (callback: () => void, ms: number) => {
      const timer = setTimeout(() => {
        engineTimers.delete(timer);
        callback();
      }, ms >>> 0);
      engineTimers.add(timer);
      return timer;
    },
  };
}

/** Clears the engine's timers when the last engine is disposed: no engine is left to wake. */
function engineClosed(): void {
  openEngines--;
  if (openEngines > 0) return;
  for (const timer of engineTimers) clearTimeout(timer);
  engineTimers.clear();
}

/** Timers the schema engine left armed (for the test of `dispose`). */
export function armedEngineTimers(): number {
  return engineTimers.size;
}

/** A schema engine connected to one database; `dispose()` closes its connections. */
export interface ConnectedSchemaEngine {
  engine: SchemaEngine;
  dispose(): Promise<void>;
}

interface ScriptAdapter {
  executeScript(script: string): Promise<void>;
  underlyingDriver(): unknown;
}

/**
 * The pg adapter runs a migration script split at every `;`, which breaks dollar-quoted function
 * bodies (trigger functions) and any literal containing `;`. Send the script whole instead: a
 * query without parameters goes over the simple query protocol, which runs all its statements in
 * one implicit transaction, so a failing migration also leaves nothing half-applied.
 */
function wholeScripts<T extends ScriptAdapter>(adapter: T): T {
  const driver = adapter.underlyingDriver() as { query(sql: string): Promise<unknown> };
  const mapError = (adapter as unknown as { onError?: (error: unknown) => never }).onError?.bind(adapter);
  adapter.executeScript = async (script: string) => {
    try {
      await driver.query(script);
    } catch (error) {
      if (mapError) mapError(error);
      throw error;
    }
  };
  return adapter;
}

class WholeScriptPrismaPg extends PrismaPg {
  /** Every adapter (each with its own pool) the engine opened: closed by `dispose()`. */
  readonly opened: Array<{ dispose(): Promise<void> }> = [];

  override async connect() {
    const adapter = wholeScripts(await super.connect());
    this.opened.push(adapter);
    return adapter;
  }
  override async connectToShadowDb() {
    const adapter = wholeScripts(await super.connectToShadowDb());
    this.opened.push(adapter);
    return adapter;
  }

  /**
   * Ends the pools. Freeing the engine does not: a pool kept its session, and with it the
   * migration advisory lock, until pg's 10 s idle timeout, so a second migration of the same
   * database within 10 s waited out the engine's own 10 s lock timeout (seen on a loaded CI run).
   */
  async closeAll(): Promise<void> {
    const adapters = this.opened.splice(0);
    await Promise.all(
      adapters.map(async (a) => {
        // Already ended by the engine, or a session stuck past 5 s: nothing more to do here.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          a.dispose().catch(() => {}),
          new Promise((resolve) => {
            timer = setTimeout(resolve, 5_000).unref();
          }),
        ]);
        clearTimeout(timer);
      }),
    );
  }
}

/** Opens Prisma's schema engine on `databaseUrl` through the pg driver adapter. */
export async function openSchemaEngine(
  databaseUrl: string,
  datamodels: Array<[string, string]> | undefined,
  log: (line: string) => void = () => {},
): Promise<ConnectedSchemaEngine> {
  const bg = await loadBindings();
  const factory = new WholeScriptPrismaPg({ connectionString: databaseUrl });
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const engine = await bg.SchemaEngine.new({ datamodels }, (line: string) => log(line), adapter);
  openEngines++;
  let disposed = false;
  return {
    engine,
    async dispose() {
      if (disposed) return;
      disposed = true;
      engine.free();
      try {
        await factory.closeAll();
      } finally {
        engineClosed();
      }
    },
  };
}
