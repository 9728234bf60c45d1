import { recreateTemplateDatabase } from './helpers/database.ts';

/** Migrates one template database per test run; each test file clones it (see helpers/database.ts). */
export default async function setup(): Promise<void> {
  await recreateTemplateDatabase();
}
