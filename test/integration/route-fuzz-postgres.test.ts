// The route fuzz (route-fuzz.ts) on PostgreSQL, when configured (CI requires it).
import { test } from 'node:test';
import { databaseTargets } from '../../src/testing/databases.js';
import { routeFuzz } from './route-fuzz.js';

const postgres = databaseTargets().find((t) => t.name === 'postgres');
if (postgres) routeFuzz(postgres);
else test('route fuzz on postgres', { skip: 'needs STRATUS_TEST_DATABASE_URL' }, () => {});
