"""The DuckDB schema as an ordered list of migrations.

A database records the migrations it has had in ``schema_migrations``; opening it applies the
missing ones in order, each in its own transaction. Never edit a released migration: add one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "articles, sentences, events and their actors",
        """
        CREATE TABLE articles (
            article_id   VARCHAR PRIMARY KEY,
            origin       VARCHAR NOT NULL,
            doc_id       VARCHAR,
            title        VARCHAR,
            url          VARCHAR,
            site         VARCHAR,
            author       VARCHAR,
            published    DATE,
            language     VARCHAR,
            status       VARCHAR NOT NULL,
            reason       VARCHAR,
            text         VARCHAR,
            n_events     INTEGER DEFAULT 0,
            ingested_at  TIMESTAMP DEFAULT current_timestamp
        );
        CREATE TABLE sentences (
            article_id  VARCHAR NOT NULL,
            idx         INTEGER NOT NULL,
            start_char  INTEGER NOT NULL,
            end_char    INTEGER NOT NULL,
            text        VARCHAR NOT NULL,
            PRIMARY KEY (article_id, idx)
        );
        CREATE TABLE events (
            event_id        VARCHAR PRIMARY KEY,
            article_id      VARCHAR NOT NULL,
            type            VARCHAR NOT NULL,
            mode            VARCHAR,
            cameo           VARCHAR,
            quad            INTEGER,
            intensity       DOUBLE,
            goldstein       DOUBLE,
            acled_type      VARCHAR,
            acled_subtype   VARCHAR,
            source_country  VARCHAR,
            target_country  VARCHAR,
            date            DATE,
            date_precision  VARCHAR,
            location_name   VARCHAR,
            lat             DOUBLE,
            lon             DOUBLE,
            fatalities      INTEGER,
            injuries        INTEGER,
            negated         BOOLEAN NOT NULL DEFAULT false,
            hypothetical    BOOLEAN NOT NULL DEFAULT false,
            historical      BOOLEAN NOT NULL DEFAULT false,
            sentence        VARCHAR NOT NULL,
            sentence_start  INTEGER,
            sentence_end    INTEGER,
            rule            VARCHAR,
            confidence      DOUBLE,
            mentions        INTEGER DEFAULT 1,
            sources         INTEGER DEFAULT 1,
            json            JSON NOT NULL
        );
        CREATE TABLE event_actors (
            event_id   VARCHAR NOT NULL,
            role       VARCHAR NOT NULL,
            idx        INTEGER NOT NULL,
            text       VARCHAR,
            code       VARCHAR,
            country    VARCHAR,
            sector     VARCHAR,
            org        VARCHAR,
            ethnicity  VARCHAR,
            PRIMARY KEY (event_id, role, idx)
        );
        CREATE INDEX events_article ON events (article_id);
        CREATE INDEX events_type ON events (type);
        CREATE INDEX actors_country ON event_actors (country);
        """,
    ),
    (
        2,
        "escalation alerts and their deliveries",
        """
        CREATE TABLE alerts (
            alert_id      VARCHAR PRIMARY KEY,
            rule          VARCHAR NOT NULL,
            dyad          VARCHAR NOT NULL,
            window_start  DATE NOT NULL,
            window_end    DATE NOT NULL,
            observed      INTEGER NOT NULL,
            expected      DOUBLE NOT NULL,
            p_value       DOUBLE NOT NULL,
            score         DOUBLE NOT NULL,
            json          JSON NOT NULL,
            created_at    TIMESTAMP DEFAULT current_timestamp
        );
        CREATE TABLE alert_deliveries (
            alert_id    VARCHAR NOT NULL,
            sink        VARCHAR NOT NULL,
            status      VARCHAR NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 0,
            last_error  VARCHAR,
            updated_at  TIMESTAMP DEFAULT current_timestamp,
            PRIMARY KEY (alert_id, sink)
        );
        CREATE INDEX alerts_rule ON alerts (rule, window_end);
        """,
    ),
    (
        3,
        "fetch state of URLs; stories (near-duplicate groups) and MinHash signatures of articles",
        """
        CREATE TABLE fetch_state (
            url            VARCHAR PRIMARY KEY,
            kind           VARCHAR NOT NULL,
            outcome        VARCHAR NOT NULL,
            http_status    INTEGER,
            reason         VARCHAR,
            final          BOOLEAN NOT NULL,
            final_url      VARCHAR,
            etag           VARCHAR,
            last_modified  VARCHAR,
            content_sha1   VARCHAR,
            article_id     VARCHAR,
            failures       INTEGER NOT NULL DEFAULT 0,
            fetched_at     TIMESTAMP,
            checked_at     TIMESTAMP NOT NULL
        );
        ALTER TABLE articles ADD COLUMN story_id VARCHAR;
        CREATE TABLE article_minhash (
            article_id  VARCHAR PRIMARY KEY,
            scheme      VARCHAR NOT NULL,
            signature   BLOB NOT NULL
        );
        """,
    ),
    (
        4,
        "one real-world event reported by several articles: mentions point at their canonical event",
        """
        ALTER TABLE events ADD COLUMN cluster_id VARCHAR;
        CREATE INDEX events_cluster ON events (cluster_id);
        CREATE INDEX events_dyad_type ON events (type, source_country, target_country);
        """,
    ),
]

LATEST = MIGRATIONS[-1][0]
