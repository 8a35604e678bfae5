-- The ids of a thread's parts known to be at the network, in order: a later attempt continues after the
-- last one instead of posting the thread again or calling it published with parts missing (decision 023).
ALTER TABLE "deliveries" ADD COLUMN "remote_part_ids" jsonb;
