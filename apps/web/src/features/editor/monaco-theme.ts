'use client';

import { useEffect, useState } from 'react';

export type MonacoTheme = 'peregrine-light' | 'peregrine-dark';

function preferredTheme(): MonacoTheme {
  const forced = document.documentElement.dataset.theme;
  if (forced === 'dark') return 'peregrine-dark';
  if (forced === 'light') return 'peregrine-light';
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'peregrine-dark' : 'peregrine-light';
}

/** The console's theme as a Monaco theme (registerFalcoLanguage defines both), following changes. */
export function useMonacoTheme(): MonacoTheme {
  const [theme, setTheme] = useState<MonacoTheme>('peregrine-light');
  useEffect(() => {
    setTheme(preferredTheme());
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const update = () => setTheme(preferredTheme());
    media.addEventListener('change', update);
    return () => media.removeEventListener('change', update);
  }, []);
  return theme;
}
