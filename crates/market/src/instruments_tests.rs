#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn the_standard_catalogue_is_valid_and_complete() {
    let c = Catalogue::standard();
    assert_eq!(c.len(), 30);
    assert_eq!(c.index_symbol(), "NXTM");
    assert_eq!(c.get(c.index_symbol()).unwrap().class, AssetClass::Etf);
    // Ids are positions and must never move: pin a few.
    assert_eq!(c.get("NXTM").unwrap().id, 0);
    assert_eq!(c.get("NXMM").unwrap().id, 27);
    assert_eq!(c.get("LMCX").unwrap().id, 29);
    assert_eq!(c.by_id(1).unwrap().symbol, "QBYT");
    assert!(c.get("nxtm").is_none(), "lookup is case-sensitive");
    let count = |class| c.instruments().iter().filter(|i| i.class == class).count();
    assert!(count(AssetClass::Stock) >= 18);
    assert!(count(AssetClass::Etf) >= 3);
    assert_eq!(count(AssetClass::BondFund), 1);
    assert_eq!(count(AssetClass::MoneyMarket), 1);
    assert_eq!(count(AssetClass::Crypto), 2);
    let sectors: std::collections::HashSet<_> = c
        .instruments()
        .iter()
        .filter(|i| i.class == AssetClass::Stock)
        .map(|i| i.industry)
        .collect();
    assert!(sectors.len() >= 6);
    for i in c.instruments() {
        assert!((3..=4).contains(&i.symbol.len()), "{}", i.symbol);
        assert!(i.start_price > Decimal::ZERO);
        assert!(i.liquidity.adv > 0 && i.liquidity.half_spread_bps > Decimal::ZERO);
    }
}

#[test]
fn thinner_stocks_have_wider_spreads() {
    let c = Catalogue::standard();
    let mut stocks: Vec<_> = c
        .instruments()
        .iter()
        .filter(|i| i.class == AssetClass::Stock)
        .collect();
    stocks.sort_by_key(|i| i.liquidity.adv);
    for w in stocks.windows(2) {
        assert!(
            w[0].liquidity.half_spread_bps >= w[1].liquidity.half_spread_bps,
            "{} vs {}",
            w[0].symbol,
            w[1].symbol
        );
    }
    let mmf = c.get("NXMM").unwrap();
    assert!(
        c.instruments()
            .iter()
            .all(|i| i.liquidity.half_spread_bps >= mmf.liquidity.half_spread_bps)
    );
}

#[test]
fn names_round_trip_and_bad_catalogues_are_refused() {
    for class in AssetClass::ALL {
        assert_eq!(AssetClass::parse(class.as_str()), Some(class));
    }
    for ind in Industry::ALL {
        assert_eq!(Industry::parse(ind.as_str()), Some(ind));
    }
    assert_eq!(AssetClass::parse("Stock"), None);
    let mut rows = Catalogue::standard().instruments().to_vec();
    rows[3].symbol = "QBYT".into();
    assert_eq!(
        Catalogue::new(rows.clone(), "NXTM").unwrap_err(),
        CatalogueError::DuplicateSymbol("QBYT".into())
    );
    rows[3].symbol = "abc".into();
    assert!(matches!(
        Catalogue::new(rows.clone(), "NXTM"),
        Err(CatalogueError::BadSymbol(_))
    ));
    rows[3].symbol = "HLXD".into();
    assert!(matches!(
        Catalogue::new(rows.clone(), "NOPE"),
        Err(CatalogueError::NoIndex(_))
    ));
    rows.swap(1, 2);
    assert!(matches!(
        Catalogue::new(rows, "NXTM"),
        Err(CatalogueError::IdMismatch(_))
    ));
}
