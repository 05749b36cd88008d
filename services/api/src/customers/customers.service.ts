import { randomUUID } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import { parseChecksummedAddress, parseTz1Address } from "../../../shared/src/addresses.js";
import { NotFoundError, ValidationError } from "../../../shared/src/errors.js";
import type { Database, Tx } from "../../../db/src/database.js";
import type { CustomerRow, CustomersRepository } from "../../../db/src/repositories.js";
import { AuditService } from "../audit/audit.service.js";
import type { Principal } from "../auth/roles.js";
import { CUSTOMERS_REPOSITORY, DATABASE } from "../tokens.js";
import { customerView, type CreateCustomerInput } from "./customer.dto.js";

@Injectable()
export class CustomersService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(CUSTOMERS_REPOSITORY) private readonly customers: CustomersRepository,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /**
   * Checks the cold addresses before any write, then stores the customer and its audit row in
   * the caller's transaction.
   *
   * @throws {ValidationError} `invalid_evm_address`, `bad_checksum`, `invalid_tezos_address`.
   */
  async create(tx: Tx, principal: Principal, input: CreateCustomerInput, now: Date): Promise<CustomerRow> {
    const row: CustomerRow = {
      id: randomUUID(),
      name: input.name,
      evmColdAddress: parseChecksummedAddress(input.evmColdAddress, "evmColdAddress"),
      tezosColdAddress: parseTz1Address(input.tezosColdAddress, "tezosColdAddress"),
      createdAt: now,
    };
    await this.customers.insert(tx, row);
    await this.audit.record(tx, principal, "customer.created", customerView(row), now);
    return row;
  }

  /** @throws {NotFoundError} when no customer has this id. */
  async get(id: string): Promise<CustomerRow> {
    const row = await this.customers.findById(this.database.db, id);
    if (!row) throw new NotFoundError("customer", id);
    return row;
  }

  /** @throws {ValidationError} `invalid_cursor` when `after` names no customer. */
  async list(limit: number, after?: string): Promise<{ items: CustomerRow[]; next: string | null }> {
    let cursor: CustomerRow | undefined;
    if (after !== undefined) {
      cursor = await this.customers.findById(this.database.db, after);
      if (!cursor)
        throw new ValidationError("invalid_cursor", "after", `no customer '${after}' to page after`);
    }
    const items = await this.customers.list(this.database.db, limit + 1, cursor);
    const hasMore = items.length > limit;
    const page = hasMore ? items.slice(0, limit) : items;
    return { items: page, next: hasMore ? page[page.length - 1]!.id : null };
  }
}
