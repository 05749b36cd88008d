-- Unfinished operations in acceptance order. The outbox claims walk this index and stop at the
-- first claimable row, and a run's queued rows are read from it: without it each claim scanned
-- every operation ever accepted, once per queued row (117 ms with 2,000 finished and 600 queued
-- operations; 0.5 ms with it, 50,000 finished and 2,000 queued).
CREATE INDEX "operations_unfinished_idx" ON "operations" USING btree ("created_at", "id")
  WHERE "operations"."status" in ('queued', 'signed', 'broadcast');
