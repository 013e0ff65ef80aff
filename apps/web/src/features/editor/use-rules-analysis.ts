'use client';

import { useEffect, useRef, useState } from 'react';
import { analyzeRules, type RulesAnalysis } from './analyze-rules';

type Files = readonly { name: string; content: string }[];

/**
 * The engine's analysis of the draft, recomputed shortly after typing stops. The loader runs in a
 * web worker; if workers are unavailable it runs on the main thread (a few milliseconds for
 * typical rule sets).
 */
export function useRulesAnalysis(
  files: Files,
  delayMs = 250,
): { analysis: RulesAnalysis | null; pending: boolean } {
  const [analysis, setAnalysis] = useState<RulesAnalysis | null>(null);
  const [pending, setPending] = useState(true);
  const worker = useRef<Worker | null | undefined>(undefined);
  const latest = useRef(0);

  useEffect(() => {
    return () => worker.current?.terminate();
  }, []);

  useEffect(() => {
    setPending(true);
    const id = ++latest.current;
    const timer = setTimeout(() => {
      const snapshot = files.map((f) => ({ name: f.name, content: f.content }));
      if (worker.current === undefined) {
        try {
          worker.current = new Worker(new URL('./rules-analysis.worker.ts', import.meta.url));
        } catch {
          worker.current = null;
        }
      }
      const run = worker.current;
      if (!run) {
        setAnalysis(analyzeRules(snapshot));
        setPending(false);
        return;
      }
      const onMessage = (event: MessageEvent<{ id: number; analysis?: RulesAnalysis; error?: string }>) => {
        if (event.data.id !== id) return;
        run.removeEventListener('message', onMessage);
        // Only the newest request's answer is shown; older ones are dropped.
        if (id !== latest.current) return;
        setAnalysis(event.data.analysis ?? analyzeRules(snapshot));
        setPending(false);
      };
      run.addEventListener('message', onMessage);
      run.postMessage({ id, files: snapshot });
    }, delayMs);
    return () => clearTimeout(timer);
  }, [files, delayMs]);

  return { analysis, pending };
}
