-- Up Migration

-- One standards table per row: a full table for its level and region, effective from the first day
-- of a month (domain.md §2). DRAFT → APPROVED → PUBLISHED; a correction turns a PUBLISHED version
-- SUPERSEDED.
CREATE TABLE versions (
  id                       uuid PRIMARY KEY,
  title                    text NOT NULL CHECK (title <> ''),
  document_number          text NOT NULL DEFAULT '',
  source                   text NOT NULL CHECK (source <> ''),
  level                    text NOT NULL CHECK (level IN ('NATIONAL', 'LOCAL')),
  -- '' for NATIONAL; 6-digit GB/T 2260 code for LOCAL (xx0000 province, xxxx00 city, else district).
  region_code              text NOT NULL DEFAULT '',
  effective_from           date NOT NULL CHECK (extract(day FROM effective_from) = 1),
  status                   text NOT NULL CHECK (status IN ('DRAFT', 'APPROVED', 'PUBLISHED', 'SUPERSEDED')),
  base_version_id          uuid REFERENCES versions (id),
  corrects_version_id      uuid REFERENCES versions (id),
  superseded_by_version_id uuid REFERENCES versions (id),
  -- Optimistic concurrency: every change increments it; updates name the revision they saw.
  revision                 bigint NOT NULL DEFAULT 1,
  created_by               text NOT NULL,
  created_at               timestamptz NOT NULL DEFAULT clock_timestamp(),
  approved_by              text,
  approved_at              timestamptz,
  published_by             text,
  published_at             timestamptz,
  CHECK ((level = 'NATIONAL' AND region_code = '') OR (level = 'LOCAL' AND region_code ~ '^[0-9]{6}$')),
  CHECK (status = 'DRAFT' OR approved_by IS NOT NULL)
);
-- Two published versions of one level and region never share an effective date (a correction
-- supersedes the old one in the same transaction); also the lookup's index.
CREATE UNIQUE INDEX versions_published_series ON versions (level, region_code, effective_from) WHERE status = 'PUBLISHED';
CREATE INDEX versions_listing ON versions (effective_from DESC, id);

-- Rows: key (category + the attributes that decide the amount + component) → rule.
-- Unused key attributes are '' / 0 so the key can be the primary key.
CREATE TABLE version_rows (
  version_id               uuid NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  category                 text NOT NULL,
  cause                    text NOT NULL DEFAULT '',
  disability_grade         smallint NOT NULL DEFAULT 0 CHECK (disability_grade BETWEEN 0 AND 10),
  enlistment_period        text NOT NULL DEFAULT '',
  component                text NOT NULL CHECK (component IN ('PERIODIC_BENEFIT', 'NURSING_FEE')),
  rule_kind                text NOT NULL CHECK (rule_kind IN ('ANNUAL_AMOUNT', 'PER_SERVICE_YEAR_AMOUNT', 'NURSING_FEE_SHARE', 'INCOME_SHARE')),
  -- Fen per year (ANNUAL_AMOUNT) or fen per year per service year (PER_SERVICE_YEAR_AMOUNT).
  amount_fen               bigint CHECK (amount_fen > 0),
  -- Basis points of the local previous-year index (NURSING_FEE_SHARE, INCOME_SHARE).
  share_bp                 integer CHECK (share_bp BETWEEN 1 AND 10000),
  requires_mental_disorder boolean NOT NULL DEFAULT false,
  PRIMARY KEY (version_id, category, cause, disability_grade, enlistment_period, component),
  CHECK ((rule_kind IN ('ANNUAL_AMOUNT', 'PER_SERVICE_YEAR_AMOUNT')) = (amount_fen IS NOT NULL AND share_bp IS NULL)),
  CHECK ((rule_kind IN ('NURSING_FEE_SHARE', 'INCOME_SHARE')) = (share_bp IS NOT NULL AND amount_fen IS NULL)),
  CHECK (NOT (cause = 'ILLNESS' AND disability_grade > 6))
);

-- Index series per city and measured calendar year: AVERAGE_MONTHLY_WAGE in fen per month,
-- PER_CAPITA_DISPOSABLE_INCOME in fen per year.
CREATE TABLE index_values (
  kind      text NOT NULL CHECK (kind IN ('AVERAGE_MONTHLY_WAGE', 'PER_CAPITA_DISPOSABLE_INCOME')),
  city_code text NOT NULL CHECK (city_code ~ '^[0-9]{4}00$'),
  year      integer NOT NULL CHECK (year BETWEEN 1949 AND 9999),
  value_fen bigint NOT NULL CHECK (value_fen > 0),
  revision  bigint NOT NULL DEFAULT 1,
  set_by    text NOT NULL,
  set_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (kind, city_code, year)
);

-- Down Migration
DROP TABLE index_values;
DROP TABLE version_rows;
DROP TABLE versions;
