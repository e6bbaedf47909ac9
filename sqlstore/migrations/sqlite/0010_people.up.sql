-- +goose Up
-- Partners and customers listed newest first, page by page: the
-- program's partners, the program's customers and a partner's customers,
-- each along an index in the listing's order (created_at, then id), so
-- that a page, by cursor, reads its own rows and not the program's. A
-- partner or customer deleted for privacy keeps its row, with its
-- personal fields erased and status 'deleted': no column changes.
CREATE INDEX commission_partners_listing ON commission_partners (program_id, created_at, id);
CREATE INDEX commission_customers_listing ON commission_customers (program_id, created_at, id);
CREATE INDEX commission_customers_partner ON commission_customers (program_id, partner_id, created_at, id);
