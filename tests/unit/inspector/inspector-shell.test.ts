import { describe, expect, it } from 'vitest';
import {
  INSPECTOR_SHELL_PATHS,
  type InspectorAssets,
  inspectorShell,
} from '../../../lambdas/inspector/inspector-shell.ts';

const assets: InspectorAssets = {
  html: '<script type="module" src="{{base}}/inspector.js"></script><a href="{{base}}">home</a>',
  script: 'console.log(1)',
  style: 'body{}',
};

describe('inspectorShell', () => {
  it.each([
    { path: '/inspector', type: 'text/html' },
    { path: '/inspector/', type: 'text/html' },
    { path: '/inspector/inspector.js', type: 'text/javascript' },
    { path: '/inspector/inspector.css', type: 'text/css' },
  ])('serves $path with the page’s security headers', async ({ path, type }) => {
    // Act
    const response = await inspectorShell(async () => assets)('GET', path);

    // Assess
    expect(response?.status).toBe(200);
    expect(response?.headers['content-type']).toContain(type);
    expect(response?.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(response?.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response?.headers['content-security-policy']).not.toContain('unsafe');
  });

  it('names the script and the home link under the base it is served at', async () => {
    // Act
    const response = await inspectorShell(async () => assets, '/api/inspector')('GET', '/api/inspector');

    // Assess
    expect(response?.body).toBe(
      '<script type="module" src="/api/inspector/inspector.js"></script><a href="/api/inspector">home</a>',
    );
  });

  it.each([
    ['GET', '/inspector/api/runs'],
    ['GET', '/inspector/api/runs/eng-a-1'],
    ['GET', '/inspector/other.js'],
    ['GET', '/inspectors'],
    ['GET', '/runs'],
    ['POST', '/inspector'],
  ])('leaves %s %s to the API (data need a key)', async (method, path) => {
    // Act
    const response = await inspectorShell(async () => assets)(method, path);

    // Assess
    expect(response).toBeUndefined();
  });

  it('declares as public exactly the paths it serves', async () => {
    const shell = inspectorShell(async () => assets);
    for (const path of INSPECTOR_SHELL_PATHS) expect((await shell('GET', path))?.status).toBe(200);
    expect(INSPECTOR_SHELL_PATHS).toEqual([
      '/inspector',
      '/inspector/inspector.js',
      '/inspector/inspector.css',
    ]);
  });

  it('loads the assets once, and again after a failed load', async () => {
    // Prepare
    let loads = 0;
    const shell = inspectorShell(async () => {
      loads++;
      if (loads === 1) throw new Error('not there yet');
      return assets;
    });

    // Act
    await expect(shell('GET', '/inspector')).rejects.toThrow('not there yet');
    await shell('GET', '/inspector');
    await shell('GET', '/inspector/inspector.js');

    // Assess
    expect(loads).toBe(2);
  });
});
