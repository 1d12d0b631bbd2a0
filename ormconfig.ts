// The TypeORM data source for the TypeORM CLI (`npm run migration:run`). It needs
// DATABASE_URL; the server itself runs migrations at start, also on the embedded default.
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set to use the TypeORM CLI');

export default new DataSource(dataSourceOptions({ kind: 'url', url }));
