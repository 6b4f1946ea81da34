// The route fuzz (route-fuzz.ts) on SQLite.
import { databaseTargets } from '../../src/testing/databases.js';
import { routeFuzz } from './route-fuzz.js';

routeFuzz(databaseTargets().find((t) => t.name === 'sqlite')!);
