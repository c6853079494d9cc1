-- cart_abandon_features.sql   (kenji, scratch — not the prod DAG yet)
-- ============================================================
-- We're adding cart_abandon_rate_7d to the homepage ranking feature set.
-- Agreed w/ Lucia in ranking sync 5/2. This file = how it's computed + the checks I ran.
--
-- DEFINITION (per user_id, as of the end of day d):
--   cart_abandon_rate_7d = carts_abandoned_7d / carts_created_7d
--   carts_created_7d   = count of distinct cart_id with a cart_created event in (d-7, d]
--   carts_abandoned_7d = of those carts, the ones with no checkout_completed event
--                        within 24h of the cart's last add_to_cart
--   if carts_created_7d = 0 -> NULL (not 0! 0 means "always buys")
--   guests (user_id null) excluded
--
-- source: events.cart_events, hourly partitions (ds, hr), lands ~20 min after the hour
-- ============================================================

WITH carts AS (
  SELECT user_id,
         cart_id,
         MIN(CASE WHEN event_type = 'cart_created' THEN event_ts END)      AS created_ts,
         MAX(CASE WHEN event_type = 'add_to_cart' THEN event_ts END)       AS last_add_ts,
         MIN(CASE WHEN event_type = 'checkout_completed' THEN event_ts END) AS checkout_ts
  FROM events.cart_events
  WHERE ds BETWEEN DATE_SUB(@d, INTERVAL 8 DAY) AND @d
    AND user_id IS NOT NULL
  GROUP BY user_id, cart_id
)
SELECT user_id,
       @d AS feature_date,
       COUNT(*) AS carts_created_7d,
       COUNTIF(checkout_ts IS NULL
               OR checkout_ts > TIMESTAMP_ADD(last_add_ts, INTERVAL 24 HOUR)) AS carts_abandoned_7d,
       SAFE_DIVIDE(
         COUNTIF(checkout_ts IS NULL
                 OR checkout_ts > TIMESTAMP_ADD(last_add_ts, INTERVAL 24 HOUR)),
         COUNT(*)) AS cart_abandon_rate_7d
FROM carts
WHERE created_ts > TIMESTAMP_SUB(TIMESTAMP(@d), INTERVAL 7 DAY)
GROUP BY user_id;

-- check 1: coverage. 41.3% of active users have >= 1 cart in 7d, rest are NULL.
-- ranking model handles NULL natively (lightgbm) so leaving it.

SELECT COUNTIF(cart_abandon_rate_7d IS NOT NULL) / COUNT(*) AS coverage
FROM scratch.kenji_cart_feat_20240501;
-- => 0.413

-- check 2: distribution. median 0.67 (!), lots of 1.0 — ppl use cart as wishlist
SELECT APPROX_QUANTILES(cart_abandon_rate_7d, 4) FROM scratch.kenji_cart_feat_20240501;
-- => [0.0, 0.33, 0.67, 1.0, 1.0]

-- cost: the 90-day backfill scanned 1.8 TB, ~$9 on-demand. daily incremental is ~25 GB.

-- where it goes: the user features view in the feature store, probably next to
-- the other cart stuff (user_cart_features?) — Lucia to confirm the name.

-- TODO: what if cart_events partitions are late / missing for an hour? the 24h
-- checkout window would mark carts abandoned that weren't. need to think
