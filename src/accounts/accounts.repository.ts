import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUuid } from '../common/ids.js';
import { Account } from '../database/entities/account.entity.js';

@Injectable()
export class AccountsRepository {
  constructor(private readonly db: DataSource) {}

  /** `{account}` in a path is the account's UUID or its slug (SPEC §1.1). */
  findByIdOrSlug(idOrSlug: string): Promise<Account | null> {
    const repo = this.db.getRepository(Account);
    if (isUuid(idOrSlug)) return repo.findOneBy({ id: idOrSlug.toLowerCase() });
    return repo.createQueryBuilder('a').where('lower(a.slug) = lower(:slug)', { slug: idOrSlug }).getOne();
  }
}
