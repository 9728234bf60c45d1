import type { TestProject } from 'vitest/node';
import { createTemplateDatabase } from './helpers/database.ts';

/**
 * Migrates one template database per test run; each test file clones it (helpers/database.ts).
 * The template and every clone are dropped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = await createTemplateDatabase();
  project.provide('templateDatabase', template.name);
  return template.dropAll;
}
