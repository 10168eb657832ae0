// The lazy catalog the faces start with (tools/lazy-catalog.ts) against the eager one: the same
// tools in the same order, each listing exactly what its zod schemas convert to, and each loader
// loading that very tool. The bundle's prepared copy of the listings is held to the same
// conversion by test/faces/mcp-prepared-listings.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toolListing } from '../../src/core/tool-listing.js';
import { choicesOf } from '../../src/cli/choices.js';
import { CLIENT_IDS } from '../../src/connection/clients.js';
import { SettingsClient } from '../../src/connection/schemas.js';
import { catalog } from '../../tools/catalog.js';
import { findEntry, lazyCatalog } from '../../tools/lazy-catalog.js';

describe('the lazy catalog', () => {
  test('lists every tool of the catalog, in its order', () => {
    assert.deepEqual(lazyCatalog.map((entry) => entry.name), catalog.map((tool) => tool.name));
  });

  test("each entry's listing is what the tool's zod schemas convert to", () => {
    for (const tool of catalog) {
      const { load, ...listing } = findEntry(tool.name)!;
      assert.equal(typeof load, 'function');
      assert.deepEqual(listing, toolListing(tool), tool.name);
    }
  });

  test('each entry loads its own tool, once', async () => {
    for (const tool of catalog) {
      const entry = findEntry(tool.name)!;
      const loading = entry.load();
      assert.equal(entry.load(), loading, `${tool.name}: a second load reuses the first`);
      assert.equal(await loading, tool, tool.name);
    }
  });

  test('CLI option choices come from the listings and match the zod enumerations', () => {
    assert.deepEqual(choicesOf('diagnose_error', 'client'), [...CLIENT_IDS]);
    assert.deepEqual(choicesOf('probe_server', 'client'), [...CLIENT_IDS]);
    assert.deepEqual(choicesOf('test_connection', 'client'), [...CLIENT_IDS]);
    assert.deepEqual(choicesOf('connection_string', 'client'), [...SettingsClient.options]);
    assert.throws(() => choicesOf('diagnose_error', 'error_text'), /not an enumeration/);
  });
});
