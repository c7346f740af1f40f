import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * Three browser bundles, each one self-contained IIFE: the service worker, the page script, and
 * the site owner's dashboard (with uPlot and its CSS inlined).
 */
const ENTRIES = {
  sw: { entry: 'sw/sw.ts', fileName: 'peerconnect-sw.js', name: 'PeerConnectServiceWorker' },
  agent: { entry: 'page/agent.ts', fileName: 'agent.js', name: 'PeerConnectAgent' },
  dashboard: { entry: 'dashboard/main.ts', fileName: 'dashboard.js', name: 'PeerConnectDashboard' },
} as const;

export default defineConfig(({ mode }) => {
  const target = ENTRIES[mode as keyof typeof ENTRIES];
  if (!target) throw new Error(`vite: --mode must be one of ${Object.keys(ENTRIES).join(', ')}`);
  return {
    // Workbox strips its dev logging when NODE_ENV is production.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: 'dist/browser',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      minify: true,
      lib: {
        entry: resolve(import.meta.dirname, target.entry),
        name: target.name,
        formats: ['iife'],
        fileName: () => target.fileName,
      },
    },
  };
});
