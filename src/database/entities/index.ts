import { Account } from './account.entity.js';
import { EventLog } from './event-log.entity.js';
import { Token } from './token.entity.js';
import { User } from './user.entity.js';

export { Account, EventLog, Token, User };
export const ENTITIES = [Account, User, Token, EventLog];
