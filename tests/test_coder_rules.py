"""Coding rules a user relies on, each on a sentence written for the test."""


def events(pipeline, text):
    return [e for e in pipeline.code_text(text, published="2024-03-06").events if e.actual]


def test_a_stated_obligation_is_a_demand(pipeline):
    [event] = [
        e
        for e in events(pipeline, "Germany said on Monday that Russia must withdraw its troops.")
        if e.type == "REQUEST"
    ]
    assert {a.country for a in event.source} == {"DEU"}
    assert {a.country for a in event.target} == {"RUS"}
    assert event.rule.startswith("grammar:")


def test_a_promise_is_agree_and_a_plan_to_use_force_is_threaten(pipeline):
    promise = events(pipeline, "Japan will provide emergency aid to Nepal, the foreign ministry said.")
    assert any(e.type == "AGREE" for e in promise)
    plan = events(pipeline, "The army plans to impose a curfew on the city of Goma.")
    assert any(e.type == "THREATEN" for e in plan)


def test_failed_talks_are_a_rejection_not_an_agreement(pipeline):
    coded = events(pipeline, "Israel and Syria failed to reach an agreement on water rights on Monday.")
    assert not any(e.type == "AGREE" for e in coded)
    assert any(e.type == "REJECT" for e in coded)
    refused = events(pipeline, "Jordan said it will not accept any more refugees from Syria.")
    assert any(e.type == "REJECT" for e in refused)


def test_weapons_found_is_disrupted_weapons_use(pipeline):
    coded = events(pipeline, "Police found a cache of grenades and ammunition near the border town of Mandera.")
    assert any(e.acled_subtype == "Disrupted weapons use" for e in coded)


def test_unnamed_attackers_are_an_unidentified_armed_group(pipeline):
    coded = events(pipeline, "A bomb exploded at a market in Maiduguri, Nigeria, killing four people.")
    attack = next(e for e in coded if e.type == "ASSAULT")
    assert attack.fatalities == 4
    assert attack.source and attack.source[0].sector == "UAF" and attack.source[0].country == "NGA"


def test_a_demonstration_is_coded_by_what_happened_at_it(pipeline):
    calm = "Thousands of teachers marched through Nairobi on Monday to demand higher pay."
    assert [e.acled_subtype for e in events(pipeline, calm) if e.type == "PROTEST"] == ["Peaceful protest"]
    stones = calm + " Some of them threw stones at the police outside parliament."
    coded = [e for e in events(pipeline, stones) if e.type == "PROTEST"]
    assert coded and all(e.acled_subtype == "Violent demonstration" and e.acled_type == "Riots" for e in coded)
    dispersed = calm + " Police fired tear gas to disperse them."
    coded = [e for e in events(pipeline, dispersed) if e.type == "PROTEST"]
    assert coded and all(e.acled_subtype == "Protest with intervention" for e in coded)


def test_a_protest_nobody_is_named_for_is_by_protesters_of_the_country(pipeline):
    [event] = [e for e in events(pipeline, "Large protests erupted in Bolivia on Tuesday.") if e.type == "PROTEST"]
    [source] = event.source
    assert (source.country, source.sector, source.assumed) == ("BOL", "CVL", True)


def test_an_industrial_explosion_is_no_acled_event(pipeline):
    coded = events(pipeline, "A boiler exploded at a fertiliser factory in Gujarat, India, killing three workers.")
    assert coded, "the deaths are still coded as an event"
    assert all(e.acled_type is None for e in coded)
    attack = events(pipeline, "A bomb exploded at a market in Maiduguri, Nigeria, killing four people.")
    assert any(e.acled_type for e in attack)


def test_a_target_named_only_inside_the_clause_is_found_and_marked(pipeline):
    coded = events(pipeline, "Chile complained on Monday about Peruvian fishing boats.")
    [event] = [e for e in coded if e.type == "ACCUSE"]
    assert {a.country for a in event.target} == {"PER"}
    assert event.rule.endswith("+near"), "a target found by proximity says so in the rule"


def test_a_relative_clause_does_not_give_the_target(pipeline):
    text = "Chile said a request has been made, in which it cited the safety of Peruvian workers."
    for event in events(pipeline, text):
        assert "PER" not in {a.country for a in event.target}


def test_cooperation_between_nobody_in_particular_is_not_an_event(pipeline):
    assert not [e for e in events(pipeline, "The tanks head back from the border.") if e.type == "RETREAT"]
    placed = events(pipeline, "Russian tanks withdrew from the border on Monday.")
    assert any(e.type == "RETREAT" for e in placed)


def test_captured_weapons_are_disrupted_weapons_use_not_territory(pipeline):
    coded = events(pipeline, "Two rifles and 300 bullets were captured by police near Lodwar, Kenya.")
    assert any(e.acled_subtype == "Disrupted weapons use" for e in coded)


def test_a_prisoner_swap_is_an_agreement(pipeline):
    coded = events(pipeline, "A prisoner swap between Armenia and Azerbaijan took place on Tuesday.")
    assert any(e.type == "RETREAT" and e.acled_subtype == "Agreement" for e in coded)


def test_two_parties_that_clash_act_on_each_other(pipeline):
    coded = events(pipeline, "Syrian government forces and Kurdish fighters clashed in Hassakeh on Saturday.")
    [event] = [e for e in coded if e.type == "ASSAULT"]
    assert len(event.source) == 1 and len(event.target) == 1
    assert event.acled_subtype == "Armed clash"


def test_a_signed_ceasefire_is_an_acled_agreement_between_the_parties(pipeline):
    coded = events(pipeline, "Armenia and Azerbaijan signed a cease-fire on Monday.")
    [event] = [e for e in coded if e.type in ("AGREE", "RETREAT")]
    assert [a.country for a in event.source] == ["ARM"] and [a.country for a in event.target] == ["AZE"]
    assert event.acled_subtype == "Agreement"


def test_the_islamic_state_taking_a_town_is_a_non_state_actor_overtaking_territory(pipeline):
    coded = events(pipeline, "The Islamic State recaptured the town of Palmyra in Syria on Sunday.")
    assert any(e.acled_subtype == "Non-state actor overtakes territory" for e in coded)


def test_a_town_the_dictionaries_lack_is_placed_by_the_gazetteer(pipeline):
    coded = events(pipeline, "Russian tanks shelled the town of Avdiivka on Monday.")
    [event] = [e for e in coded if e.type == "ASSAULT"]
    assert {a.country for a in event.target} == {"UKR"}


def test_a_piece_of_a_persons_name_is_no_country(pipeline):
    coded = events(pipeline, "President Omar Hassan al-Bashir has taken steps to promote openness in Sudan.")
    assert coded and all({a.country for a in e.source} == {"SDN"} for e in coded)


def test_the_police_assumed_for_an_arrest_are_those_of_the_place_named(pipeline):
    text = "A Canadian missionary was arrested in Lebanon for spying, the Canadian embassy said."
    [event] = [e for e in events(pipeline, text) if e.type == "COERCE"]
    assert [(a.country, a.sector, a.assumed) for a in event.source] == [("LBN", "COP", True)]


def test_a_future_act_made_to_depend_on_the_other_side_is_a_threat(pipeline):
    text = "Nigeria said it will withdraw its peacekeepers from Chad unless the rebels agree to a truce."
    coded = events(pipeline, text)
    assert any(e.type == "THREATEN" and {a.country for a in e.source} == {"NGA"} for e in coded)
    assert not any(e.type == "AGREE" and {a.country for a in e.source} == {"NGA"} for e in coded)


def test_an_attack_found_to_have_happened_is_actual_not_planned(pipeline):
    coded = events(pipeline, "Investigators determined that the Syrian army carried out a chemical attack on Douma.")
    assert any(e.type == "ASSAULT" and e.acled_subtype == "Chemical weapon" for e in coded)
    planned = [e for e in pipeline.code_text("The Syrian army is determined to attack Douma.").events]
    planned = [e for e in planned if e.type == "ASSAULT"]
    assert planned == [] or not any(e.actual for e in planned)


def test_reinforcing_troops_is_mobilization(pipeline):
    coded = events(pipeline, "The Kenyan army strengthened its forces in Somalia after the attack.")
    assert any(e.type == "MOBILIZE" and {a.country for a in e.source} == {"KEN"} for e in coded)


def test_riots_named_by_their_people_are_a_protest_by_them(pipeline):
    coded = events(pipeline, "Palestinian riots against the Israeli occupation continued on Friday.")
    assert any(e.type == "PROTEST" and e.mode == "riot" and {a.country for a in e.source} == {"PSE"} for e in coded)


def test_a_threat_to_boycott_is_no_boycott(pipeline):
    coded = events(pipeline, "Relations with China were strained by an initial threat to boycott the ceremony.")
    assert not any(e.type == "PROTEST" for e in coded)


def acled(pipeline, text):
    coded = [e for e in events(pipeline, text) if e.acled_subtype]
    return min(coded, key=lambda e: e.sentence_start).acled_subtype if coded else None


def test_killings_by_vigilantes_are_mob_violence_but_a_report_by_them_is_not(pipeline):
    assert acled(pipeline, "Three men were beaten to death by vigilantes in Kisumu on Sunday.") == "Mob violence"
    text = "Boko Haram fighters attacked two villages near Maiduguri on Sunday, killing five, according to vigilantes."
    reported = acled(pipeline, text)
    assert reported not in (None, "Mob violence")


def test_protesters_violently_dispersed_is_excessive_force(pipeline):
    text = "Police violently dispersed a peaceful protest by teachers in Harare on Monday."
    assert acled(pipeline, text) == "Excessive force against protesters"


def test_protesters_blocking_roads_is_a_violent_demonstration(pipeline):
    text = "Farmers blocked roads and railways across Punjab on Friday to protest the new farm laws."
    assert acled(pipeline, text) == "Violent demonstration"


def test_a_grenade_thrown_during_clashes_is_a_grenade_attack(pipeline):
    text = "A grenade attack was carried out in a market in Beledweyne during clashes between militias."
    assert acled(pipeline, text) == "Grenade"


def test_a_string_of_airstrikes_carried_out_is_an_air_strike(pipeline):
    text = "Israeli military aircraft carried out a string of airstrikes on areas in the Gaza Strip."
    assert acled(pipeline, text) == "Air/drone strike"
    wave = "Russian jets launched a wave of strikes on rebel positions near Idlib."
    assert acled(pipeline, wave) == "Air/drone strike"


def test_workers_who_went_on_strike_are_on_strike(pipeline):
    coded = events(pipeline, "Kenyan doctors went on strike on Monday over pay.")
    assert any(e.type == "PROTEST" and e.mode == "strike" and {a.country for a in e.source} == {"KEN"} for e in coded)


def test_a_statement_issued_is_its_authors_act(pipeline):
    coded = events(pipeline, "The Kenyan government issued a statement condemning the attack by Somali militants.")
    assert any(e.type == "ACCUSE" and {a.country for a in e.source} == {"KEN"} for e in coded)


def test_a_country_invading_another_is_an_armed_clash_of_states(pipeline):
    coded = events(pipeline, "Israel mounted an invasion of southern Lebanon on Tuesday.")
    assert any(e.type == "ASSAULT" and e.acled_subtype == "Armed clash" for e in coded)


def test_cancelled_restrictions_and_renewed_negotiations(pipeline):
    assert any(e.type == "CONCEDE" for e in events(pipeline, "Latvia's court cancelled restrictions on Russian media."))
    assert any(e.type == "CONSULT" for e in events(pipeline, "Israel and Lebanon renewed negotiations on Monday."))


def test_lifting_emergency_rule_concedes_and_cutting_supplies_sanctions(pipeline):
    lifted = events(pipeline, "Sudan's government on Sunday lifted a state of emergency in West Darfur.")
    assert any(e.type == "CONCEDE" for e in lifted)
    reduced = events(pipeline, "The United Nations on Tuesday reduced food supplies to the refugee camp in Thailand.")
    assert any(e.type == "SANCTION" for e in reduced)


def test_a_province_named_places_its_government(pipeline):
    coded = events(pipeline, "The government of Sindh province has ordered patrols by police after violent protests.")
    assert any(e.type == "MOBILIZE" and {a.country for a in e.source} == {"PAK"} for e in coded)


def test_an_organisation_named_like_a_place_is_no_place(pipeline):
    coded = events(pipeline, "The Nigerian Union of Teachers announced that it has called off a four-day strike.")
    assert coded and all({a.country for a in e.source} == {"NGA"} for e in coded)


def test_an_international_organisation_the_dictionaries_lack_is_no_country(pipeline):
    igo = events(pipeline, "The International Labour Office urged Israel to ease restrictions on Palestinian workers.")
    assert any({a.country for a in e.source} == {"IGO"} for e in igo)
    ngo = events(pipeline, "Members of the Association of African Jurists investigated the welfare of 2,000 Libyans.")
    assert any({a.country for a in e.source} == {"NGO"} for e in ngo)


def test_stones_thrown_by_youths_at_a_demonstration_are_a_riot(pipeline):
    text = "Palestinian youths threw stones during demonstrations against the Israeli army on Friday."
    coded = events(pipeline, text)
    assert any(e.type == "PROTEST" and e.mode == "riot" for e in coded)
    assert not any(e.type == "ASSAULT" for e in coded)


def test_crowds_gathering_for_a_rally_hold_it(pipeline):
    coded = events(pipeline, "Thousands of Nigerians converged on Thursday for a rally in Lagos against the new law.")
    assert any(e.type == "PROTEST" and {a.country for a in e.source} == {"NGA"} for e in coded)


def test_saying_another_must_be_ready_to_act_is_a_demand(pipeline):
    coded = events(pipeline, "Egypt's president said that the United States must be ready to mediate in the dispute.")
    assert any(e.type == "REQUEST" and {a.country for a in e.target} == {"USA"} for e in coded)


def test_a_welcome_given_is_hosting_and_aid_given_is_still_coded(pipeline):
    welcome = events(pipeline, "President Macron gave a warm welcome on Thursday to the Kenyan president in Paris.")
    assert any(e.type == "CONSULT" for e in welcome)


def test_ending_talks_and_defying_a_ban(pipeline):
    assert any(e.type == "SANCTION" for e in events(pipeline, "Turkey ended talks with Greece on Monday."))
    assert any(e.type == "REJECT" for e in events(pipeline, "Kenyan opposition supporters defied a ban on rallies."))


def test_militants_seizing_a_village_overtake_territory(pipeline):
    text = "Al-Shabab militants seized a village near the Kenyan border on Sunday."
    assert acled(pipeline, text) == "Non-state actor overtakes territory"


def test_gunmen_firing_on_a_plane_is_an_attack_not_a_clash(pipeline):
    text = "Gunmen opened fire on a small commercial plane as it landed in Papua, the pilot said."
    assert acled(pipeline, text) == "Attack"


def test_people_abducted_and_shot_were_abducted(pipeline):
    text = "Armed men abducted and shot dead eight civilians in Saladin province on Monday."
    assert acled(pipeline, text) == "Abduction/forced disappearance"


def test_shells_landing_and_munitions_dropped_are_attacks_with_no_named_attacker(pipeline):
    assert acled(pipeline, "Several mortar rounds landed near the army base in Mogadishu on Thursday.") == (
        "Shelling/artillery/missile attack"
    )
    assert acled(pipeline, "Chlorine munitions were dropped on a Syrian city in October.") == "Chemical weapon"
    assert acled(pipeline, "Two grenades were thrown at a concert in Juarez on Sunday.") == "Grenade"


def test_a_large_amount_of_ammunition_found_is_disrupted_weapons_use(pipeline):
    text = "Security forces discovered a large amount of ammunition near the border in Trabzon."
    assert acled(pipeline, text) == "Disrupted weapons use"


def test_a_house_arrest_condemned_is_an_arrest_by_the_police(pipeline):
    text = "Human rights groups in Cameroon have condemned the house arrest of opposition leader Maurice Kamto."
    assert acled(pipeline, text) == "Arrests" or any(
        e.acled_subtype == "Arrests" and {a.sector for a in e.source} == {"COP"} for e in events(pipeline, text)
    )


def test_what_happens_before_a_present_tense_verb_has_not_happened_yet(pipeline):
    coded = pipeline.code_text("Police were deployed in Nairobi before the Ugandan president visits Kenya.").events
    visits = [e for e in coded if e.type == "CONSULT"]
    assert visits and not any(e.actual for e in visits) and visits[0].modality == "pending"
    done = pipeline.code_text("Police were deployed in Nairobi before the Ugandan president visited Kenya.").events
    assert any(e.type == "CONSULT" and e.actual for e in done)


def test_pro_and_anti_name_an_attitude_not_a_nationality(pipeline):
    shelled = events(pipeline, "Pro-Russian separatists shelled the town of Avdiivka.")
    [event] = [e for e in shelled if e.type == "ASSAULT"]
    assert {a.country for a in event.source} == {"UKR"}
    killed = events(pipeline, "An anti-Syria journalist was killed in a car bomb explosion in eastern Beirut.")
    assert all("SYR" not in {a.country for a in e.target} for e in killed)


def test_a_vow_the_parser_reads_as_a_purpose_is_still_a_vow(pipeline):
    coded = events(pipeline, "Ethnic Albanian rebels have sworn to fight until they control the border villages.")
    assert any(e.type == "THREATEN" for e in coded)


def test_closing_a_border_because_of_fighting_plans_nothing(pipeline):
    coded = events(pipeline, "Russia closed its borders with Georgia because of fighting in Abkhazia.")
    assert not any(e.type == "THREATEN" for e in coded)


def test_demonstrators_destroying_property_riot_but_firing_missiles_attack(pipeline):
    riot = events(pipeline, "The police station was torched by angry protesters in Lagos.")
    assert any(e.type == "PROTEST" and e.mode == "riot" for e in riot) or not any(e.type == "ASSAULT" for e in riot)
    demolished = events(pipeline, "The Russian embassy building was demolished by Ukrainian protesters.")
    assert any(e.type == "PROTEST" and e.mode == "riot" for e in demolished)
    armed = events(pipeline, "Georgian demonstrators launched missiles at the government building in Tbilisi.")
    assert any(e.type == "ASSAULT" for e in armed)


def test_evidence_presented_against_someone_is_an_accusation(pipeline):
    coded = events(pipeline, "Evidence against Russia was presented by the United States at the council.")
    assert any(e.type == "ACCUSE" and {a.country for a in e.target} == {"RUS"} for e in coded)


def test_packages_containing_explosives_found_and_gas_used(pipeline):
    found = "Three suspicious packages containing explosive devices were discovered at a station in London on Tuesday."
    assert acled(pipeline, found) == "Disrupted weapons use"
    assert acled(pipeline, "The Syrian army used sulfur mustard in an attack on Saraqib.") == "Chemical weapon"


def test_a_crowd_gathering_during_a_protest_protests(pipeline):
    coded = events(pipeline, "A large crowd gathered during a protest against the new law in Nairobi on Monday.")
    assert any(e.type == "PROTEST" for e in coded)


def test_deaths_in_a_flood_are_no_acled_event(pipeline):
    text = "At least 89 people have died after flash floods and landslides tore through Papua, officials said."
    assert acled(pipeline, text) is None


def test_arrests_at_a_protest_intervene_but_arrests_before_one_are_arrests(pipeline):
    assert acled(pipeline, "Police arrested 12 people at the rally in Harare on Saturday.") == (
        "Protest with intervention"
    )
    before = "Police continue to arrest opposition activists in Cairo in anticipation of mass protests."
    assert acled(pipeline, before) == "Arrests"


def test_a_claim_that_another_attacked_is_an_accusation(pipeline):
    coded = events(pipeline, "Israel claimed that Hezbollah fired rockets at Haifa on Monday.")
    assert any(e.type == "ACCUSE" and {a.country for a in e.source} == {"ISR"} for e in coded)
    assert any(e.type == "ASSAULT" for e in coded)
    own = events(pipeline, "The United States claimed that it had attacked the base in Iraq.")
    assert not any(e.type == "ACCUSE" for e in own)


def accusations(pipeline, text):
    return [
        ({a.country for a in e.source}, {(a.country, a.sector) for a in e.target})
        for e in events(pipeline, text)
        if e.type == "ACCUSE"
    ]


def test_a_party_telling_of_an_attack_by_others_accuses_them(pipeline):
    told = "Armenia said Azerbaijani troops shelled a village near the border on Sunday."
    assert accusations(pipeline, told) == [({"ARM"}, {("AZE", "MIL")})]
    assert any(e.type == "ASSAULT" for e in events(pipeline, told))
    from_abroad = "Greece said a rocket was fired at its patrol boat from Turkey."
    assert [target for _, target in accusations(pipeline, from_abroad)] == [{("TUR", "UAF")}]
    # a named organisation telling of a state's forces accuses them, and an armed group is not a
    # state's own side
    assert accusations(pipeline, "Amnesty International said Ethiopian soldiers beat detainees.")
    assert accusations(pipeline, "Kenya said gunmen killed four farmers in Lamu.") == [({"KEN"}, {("KEN", "UAF")})]


def test_reporting_an_attack_is_not_an_accusation(pipeline):
    for text in (
        "Police said gunmen killed four farmers in Lamu.",  # a source, not a party, by name
        "The Kenyan army said its soldiers killed five militants.",  # its own side
        "Kenya said a bomb killed four people in Lamu.",  # an attacker nobody named, at home
        "Reuters reported that rebels attacked the town of Goma.",  # the news media
        "Maria Lopez, a local shopkeeper, said gunmen attacked the village near Culiacan on Monday.",  # a witness
        "Russia said Sudan must return a helicopter that was seized by Sudanese troops.",  # a relative clause
    ):
        assert accusations(pipeline, text) == [], text


def test_seeking_to_cooperate_is_an_intent_to_cooperate(pipeline):
    coded = events(pipeline, "Brazil and the United States are seeking to expand their cooperation in energy.")
    assert any(e.type == "AGREE" for e in coded)
    assert not any(e.type == "COOPERATE" for e in coded)


def test_territory_handed_over_is_a_non_violent_transfer(pipeline):
    assert acled(pipeline, "Armenian forces handed over the district to Azerbaijan on Tuesday.") == (
        "Non-violent transfer of territory"
    )


def test_what_a_coalition_is_tasked_with_is_no_deed(pipeline):
    coded = events(pipeline, "The coalition tasked with fighting the Islamic State left the base near Baghdad.")
    assert not any(e.type == "ASSAULT" for e in coded)


def test_anti_aircraft_guns_are_no_air_strike_and_protesters_dying_is_excessive_force(pipeline):
    guns = "Militants attacked Syrian forces on the outskirts of Aleppo using anti-aircraft guns and mortars."
    assert acled(pipeline, guns) == "Shelling/artillery/missile attack"
    died = "Four protesters died from gunfire overnight during a demonstration outside the consulate in Karbala."
    assert acled(pipeline, died) == "Excessive force against protesters"


def test_people_attacked_by_nobody_named_were_attacked_with_the_named_weapon(pipeline):
    coded = events(pipeline, "Villagers near the war-torn city of Idlib were attacked on Tuesday with poisonous gas.")
    [attack] = [e for e in coded if e.type == "ASSAULT"]
    assert attack.acled_subtype == "Chemical weapon"
    assert attack.rule.startswith("pattern:attack")  # "war-torn" describes the city: no event of its own


def test_protests_during_which_police_chased_demonstrators_took_place(pipeline):
    text = "Riot police chased demonstrators during anti-government protests in Sfax, Tunisia, on Tuesday."
    [protest] = [e for e in events(pipeline, text) if e.type == "PROTEST"]
    assert protest.source[0].country == "TUN"
    assert protest.acled_subtype == "Protest with intervention"  # "riot police" tells no riot


def test_shops_looted_in_an_attack_are_property_destruction(pipeline):
    text = "Nobody was arrested after the attacks in Durban, South Africa, in which 30 shops were looted on Monday."
    coded = events(pipeline, text)
    assert any(e.acled_subtype == "Looting/property destruction" for e in coded)


def test_a_coalition_led_by_a_country_is_that_countrys_military(pipeline):
    coded = events(pipeline, "The US-led coalition withdrew from the Ain al-Asad base in Iraq on Monday.")
    [withdrawal] = [e for e in coded if e.type == "RETREAT"]
    assert [(a.country, a.sector) for a in withdrawal.source] == [("USA", "MIL")]
    assert withdrawal.acled_subtype == "Non-violent transfer of territory"
    handed = events(pipeline, "Coalition troops handed control of the base back to the Iraqi army on Monday.")
    assert any(e.acled_subtype == "Non-violent transfer of territory" for e in handed)


def test_events_from_a_verbs_default_code_or_the_classifier_assert_no_seizure(pipeline):
    coded = events(pipeline, "A United Nations investigator took samples from the sand near Douma, Syria, on Monday.")
    assert not any(e.acled_subtype for e in coded)


def test_a_vehicle_struck_by_a_missile_and_an_air_raid_are_attacks_not_strikes(pipeline):
    coded = events(pipeline, "The convoy was struck by a missile near Kidal, Mali, on Tuesday.")
    assert not any(e.type == "PROTEST" for e in coded)
    assert any(e.acled_subtype == "Shelling/artillery/missile attack" for e in coded)
    raid = events(pipeline, "Syrian army helicopters carried out an air raid on Latamneh on Sunday.")
    assert any(e.acled_subtype == "Air/drone strike" for e in raid)


def test_soldiers_defecting_change_their_group(pipeline):
    coded = events(pipeline, "About 200 Somali soldiers defected to the rebels in Galmudug on Sunday.")
    assert any(e.acled_subtype == "Change to group/activity" for e in coded)


def test_a_rally_for_protesters_arrested_earlier_is_a_peaceful_protest(pipeline):
    text = (
        "Thousands of teachers marched in Nairobi on Monday. They demanded the release of demonstrators "
        "detained during a rally in Mombasa."
    )
    coded = [e for e in events(pipeline, text) if e.type == "PROTEST"]
    assert coded and coded[0].acled_subtype == "Peaceful protest"


def test_a_group_backed_by_another_is_described_not_supported(pipeline):
    text = "Militants backed by Turkey took control of the village of Basuta near Afrin, Syria, on Friday."
    coded = events(pipeline, text)
    assert not any(e.type == "SUPPORT" for e in coded)
    assert any(e.acled_subtype == "Non-state actor overtakes territory" for e in coded)


def test_troops_freeing_villages_regain_territory(pipeline):
    coded = events(pipeline, "Iraqi soldiers freed several villages and towns in Nineveh province, Iraq, on Thursday.")
    assert any(e.acled_subtype == "Government regains territory" for e in coded)


def test_bandits_killing_villagers_attack_and_a_lynching_stays_mob_violence(pipeline):
    bandits = events(pipeline, "Bandits have killed seven people in attacks on villages in Zamfara State, Nigeria.")
    assert [e.acled_subtype for e in bandits if e.type == "ASSAULT"][:1] == ["Attack"]
    lynching = events(pipeline, "Angry villagers beat two suspected thieves in Puebla, Mexico, killing both of them.")
    assert [e.acled_subtype for e in lynching if e.type == "ASSAULT"][:1] == ["Mob violence"]


def test_arrests_while_supporters_protest_are_an_intervention(pipeline):
    text = (
        "Police arrested more than 100 people in Yerevan, Armenia, on Friday as opposition supporters staged protests."
    )
    [arrest] = [e for e in events(pipeline, text) if e.type == "COERCE"]
    assert arrest.acled_subtype == "Protest with intervention"


def test_police_attacking_a_human_chain_intervene_in_a_protest(pipeline):
    text = "Police attacked a human chain of students in Rangpur, Bangladesh, on Sunday."
    coded = events(pipeline, text)
    assert any(e.type == "PROTEST" for e in coded)
    assert not any(e.acled_subtype == "Armed clash" for e in coded)


def test_shells_said_to_carry_gas_in_the_next_sentence_are_a_chemical_attack(pipeline):
    text = "Militants shelled the town of Kafr Zita, Syria, on Tuesday. Doctors believe the rounds carried chlorine."
    coded = events(pipeline, text)
    assert any(e.acled_subtype == "Chemical weapon" for e in coded)


def test_weapons_inside_what_was_found_are_disrupted_weapons_use(pipeline):
    depot = "Syrian soldiers found a bunker holding a huge quantity of rifles near Homs on Monday."
    assert any(e.acled_subtype == "Disrupted weapons use" for e in events(pipeline, depot))
    caches = "Three caches of rifles were unearthed by soldiers near Djanet, Algeria, on Sunday."
    assert any(e.acled_subtype == "Disrupted weapons use" for e in events(pipeline, caches))
    commander = "Somali soldiers captured a commander who heads the group's explosives unit in Galkayo on Monday."
    assert not any(e.acled_subtype == "Disrupted weapons use" for e in events(pipeline, commander))


def test_aircraft_destroyed_by_a_missile_name_the_target_not_the_weapon(pipeline):
    text = "A Houthi missile hit a military base in Jizan, Saudi Arabia, on Monday, destroying two helicopters."
    coded = [e for e in events(pipeline, text) if e.type == "ASSAULT"]
    assert coded and coded[0].acled_subtype == "Shelling/artillery/missile attack"
    mine = events(pipeline, "Five soldiers were killed when their vehicle hit a landmine near Marib, Yemen.")
    assert any(e.acled_subtype == "Remote explosive/landmine/IED" for e in mine)


def test_a_lower_case_word_after_no_final_mark_continues_the_sentence(pipeline):
    from powderkeg.nlp import continue_sentences

    doc = continue_sentences(
        pipeline.nlp.make_doc("Two were killed and five more injured. Then calm returned; peace\nfollowed")
    )
    starts = {t.text: t.is_sent_start for t in doc}
    assert starts["five"] is False and starts["more"] is False  # no sentence-final mark before them
    assert starts["Then"] is None and starts["peace"] is None  # left to the parser
    assert starts["followed"] is None  # a line break may end a headline
    parsed = pipeline.nlp("Four people were killed and five more injured in an airstrike on Idlib on Monday.")
    assert len(list(parsed.sents)) == 1


def test_strikes_that_target_positions_are_military_strikes(pipeline):
    coded = events(pipeline, "Monitors said the strikes targeted army positions near Hama, Syria, killing 12 soldiers.")
    assert not any(e.type == "PROTEST" for e in coded)
    assert any(e.acled_subtype == "Air/drone strike" for e in coded)


def test_sexual_violence_named_by_a_noun_or_adverb_is_sexual_violence(pipeline):
    for text in (
        "Sexual violence against Yazidi women by Islamic State fighters was reported in Sinjar, Iraq.",
        "A man molested a schoolgirl on a bus in Lahore, Pakistan, on Monday.",
        "Two soldiers sexually assaulted a woman at a checkpoint near Goma, Congo, on Friday.",
    ):
        assert any(e.acled_subtype == "Sexual violence" for e in events(pipeline, text)), text


def test_a_bomb_that_killed_while_being_defused_was_not_disrupted_and_rpgs_are_no_grenades(pipeline):
    text = "A roadside bomb went off while soldiers tried to defuse it near Mogadishu, Somalia, killing three of them."
    coded = [e for e in events(pipeline, text) if e.type == "ASSAULT"]
    assert coded and coded[0].acled_subtype == "Remote explosive/landmine/IED"
    rpg = events(pipeline, "Rebels fired a rocket-propelled grenade at an army truck near Gao, Mali, on Monday.")
    assert not any(e.acled_subtype == "Grenade" for e in rpg)


def test_wanting_another_to_act_is_a_request_not_their_promise(pipeline):
    coded = events(pipeline, "Germany wants Serbia to recognise Kosovo.")
    [request] = [e for e in coded if e.type == "REQUEST"]
    assert [a.country for a in request.source] == ["DEU"] and [a.country for a in request.target] == ["SRB"]
    assert not any(e.type == "AGREE" for e in coded)
    own = events(pipeline, "Russia wants to annex the Donbas region of Ukraine.")
    assert not any(e.type == "REQUEST" for e in own)


def test_a_protester_demolishing_a_building_riots_with_a_protest_cameo_code(pipeline):
    [riot] = events(pipeline, "The Russian embassy in Kyiv was demolished by a Ukrainian protester.")
    assert riot.type == "PROTEST" and riot.cameo.startswith("14")


def test_troops_sent_by_nobody_named_move_themselves_and_armed_groups_mobilising_change(pipeline):
    [sent] = [e for e in events(pipeline, "Iraqi troops were dispatched to Kirkuk on Monday.") if e.type == "MOBILIZE"]
    assert [(a.country, a.sector) for a in sent.source] == [("IRQ", "MIL")]
    assert sent.acled_subtype == "Change to group/activity"
    mobilising = events(pipeline, "The Islamic State is mobilizing its fighters in Anbar province, Iraq.")
    assert any(e.acled_subtype == "Change to group/activity" for e in mobilising)


def test_a_disaster_word_inside_a_name_tells_no_disaster_and_kamikazes_are_suicide_bombers(pipeline):
    text = "A member of the Storm Brigade was killed in a roadside bomb blast near Kandahar, Afghanistan."
    assert any(e.acled_subtype == "Remote explosive/landmine/IED" for e in events(pipeline, text))
    kamikazes = "Two kamikazes blew themselves up at a mosque in Konduga, Nigeria, killing five people."
    assert any(e.acled_subtype == "Suicide bomb" for e in events(pipeline, kamikazes))


def test_a_persons_name_the_parser_broke_up_is_still_one_actor(pipeline):
    coded = pipeline.code_text("Barack Obama and Vladimir Putin will meet in Oslo to talk about football")
    countries = {a.country for e in coded.events for a in e.source + e.target}
    assert {"USA", "RUS"} <= countries


def test_a_rally_against_planned_arrests_is_a_peaceful_protest(pipeline):
    text = "Thousands rallied in Chicago on Saturday against the government's plan for mass arrests of migrants."
    coded = [e for e in events(pipeline, text) if e.type == "PROTEST"]
    assert coded and coded[0].acled_subtype == "Peaceful protest"


def test_aid_handed_over_talks_travelled_to_and_a_mediation_mission_undertaken(pipeline):
    aid = events(pipeline, "Norwegian doctors handed over 300 kg of food to the Red Cross in Aleppo, Syria.")
    assert any(e.type == "AID" and e.source and e.source[0].country == "NOR" for e in aid)
    talks = events(pipeline, "Iranian diplomats travelled to Baghdad on Monday for talks on the war in Yemen.")
    assert any(e.type == "CONSULT" and e.source and e.source[0].country == "IRN" for e in talks)
    mission = events(pipeline, "The Qatari foreign minister undertook a mediation mission between Sudan and Chad.")
    [consult] = [e for e in mission if e.type == "CONSULT"]
    assert consult.source[0].country == "QAT" and {a.country for a in consult.target} == {"SDN", "TCD"}


def test_ending_mediation_efforts_ends_mediation(pipeline):
    coded = events(pipeline, "Egyptian officials ended their mediation efforts between Sudan and Chad on Monday.")
    assert any(e.type == "SANCTION" and e.source and e.source[0].country == "EGY" for e in coded)


def test_the_attack_a_strike_retaliates_for_lends_it_no_weapon(pipeline):
    text = "The US launched 59 missiles at a Syrian airfield on Tuesday in retaliation for a poison gas attack."
    coded = [e for e in events(pipeline, text) if e.type == "ASSAULT"]
    assert coded and coded[0].acled_subtype == "Shelling/artillery/missile attack"


def test_a_trigger_file_may_name_a_word_kind_and_an_unknown_kind_is_refused(tmp_path):
    import pytest

    from powderkeg.coder.lexicon import LexiconError, build_lexicon

    rows = tmp_path / "mine.tsv"
    rows.write_text("stockpile\tVERB\tholds:@weapon\tCOERCE\tseize\ttheme\tfrom\tbare_ok\n", encoding="utf-8")
    [rule] = build_lexicon([rows]).rules_for("stockpile", "VERB")
    assert {"grenade", "ammunition"} <= rule.requires[0].lemmas and "@weapon" not in rule.requires[0].lemmas
    rows.write_text("stockpile\tVERB\tholds:@nosuchkind\tCOERCE\tseize\ttheme\tfrom\t-\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="nosuchkind"):
        build_lexicon([rows])


def test_a_trigger_file_category_must_be_plover_or_a_blocking_dash(tmp_path):
    import pytest

    from powderkeg.coder.lexicon import LexiconError, build_lexicon

    rows = tmp_path / "mine.tsv"
    rows.write_text("storm\tVERB\t-\tASSUALT\t-\ttarget\t-\t-\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"mine\.tsv:1: category must be a PLOVER category"):
        build_lexicon([rows])
    rows.write_text("storm\tVERB\tdobj:stage\t-\t-\ttheme\t-\t-\n", encoding="utf-8")
    [rule] = build_lexicon([rows]).rules_for("storm", "VERB")[:1]
    assert rule.blocks


def test_denying_an_accusation_is_no_event(pipeline):
    for text in (
        "Serbia rejected the allegations on Tuesday.",
        "Serbia dismissed as baseless accusations by Albania that it had armed the militia.",
        "Serbia accused Albania of spreading false accusations about the election.",
    ):
        assert events(pipeline, text) == [], text
    # what the denied allegation tells is not told as having happened
    denied = events(pipeline, "Serbia denied allegations that its police beat protesters in Novi Sad.")
    assert not any(e.type == "ASSAULT" for e in denied)
    # rejecting anything else is still a rejection, and a clause joined to a denial is its own event
    assert any(e.type == "REJECT" for e in events(pipeline, "Serbia rejected a proposal by Croatia for new talks."))
    joined = events(pipeline, "Serbia rejected the allegations and shelled the border village.")
    assert any(e.type == "ASSAULT" for e in joined)


def test_the_one_accused_of_an_act_is_its_actor(pipeline):
    coded = events(pipeline, "Kosovo accused Serbia of shelling the village of Banjska.")
    [attack] = [e for e in coded if e.type == "ASSAULT"]
    assert {a.country for a in attack.source} == {"SRB"}


def test_army_machines_and_elders_are_actors(pipeline):
    coded = events(pipeline, "Turkish army bulldozers demolished houses in the village of Afrin on Friday.")
    assert any({(a.country, a.sector) for a in e.source} == {("TUR", "MIL")} for e in coded)
    coded = events(pipeline, "Tribal elders in Yemen demanded that the government release the detained journalists.")
    assert any(e.type == "REQUEST" and {a.sector for a in e.source} == {"CVL"} for e in coded)


def test_the_attack_told_after_a_chemical_payload_is_a_chemical_attack(pipeline):
    text = (
        "Inspectors said chlorine gas was probably used in an assault on the town of Saraqib. "
        "The attack happened on the morning of 4 February."
    )
    coded = [e for e in events(pipeline, text) if e.type == "ASSAULT"]
    assert coded and all(e.acled_subtype == "Chemical weapon" for e in coded)


def test_territory_taken_after_the_other_side_withdrew_changed_hands_without_a_fight(pipeline):
    text = "Rebels recaptured the town of Kidal on Sunday after government troops pulled out of it."
    assert acled(pipeline, text) == "Non-violent transfer of territory"
    fought = "Rebels recaptured the town of Kidal on Sunday after heavy fighting with government troops."
    assert acled(pipeline, fought) == "Non-state actor overtakes territory"


def test_an_acled_rule_may_need_several_hints_at_once():
    from powderkeg.coder import taxonomy

    assert taxonomy.acled_for("ASSAULT", None, source_role="nonstate", context={"territory"})[1] == (
        "Non-state actor overtakes territory"
    )
    both = taxonomy.acled_for("ASSAULT", None, source_role="nonstate", context={"territory", "withdrawn"})
    assert both[1] == "Non-violent transfer of territory"
    assert taxonomy.acled_for("ASSAULT", None, source_role="nonstate", context={"withdrawn"})[1] != both[1]


def test_weapons_named_as_the_target_are_no_weapon_used(pipeline):
    text = (
        "Two warships fired cruise missiles on Friday, targeting what officials said were chemical weapons "
        "depots near Homs."
    )
    assert acled(pipeline, text) == "Shelling/artillery/missile attack"


def test_people_captured_are_arrested_or_abducted_not_territory_taken(pipeline):
    assert acled(pipeline, "Congolese troops captured a rebel commander near Goma on Monday.") == "Arrests"
    taken = "M23 rebels captured three soldiers near Rutshuru on Monday."
    assert acled(pipeline, taken) == "Abduction/forced disappearance"
    assert acled(pipeline, "M23 rebels captured the town of Rutshuru on Monday.") == (
        "Non-state actor overtakes territory"
    )


def test_the_verb_dictionary_is_less_sure_than_own_patterns(pipeline):
    coded = events(pipeline, "Soldiers entered the village of Kajo Keji on Sunday and raped four women.")
    by_rule = {e.rule.split(":")[0]: e for e in coded}
    assert by_rule["verbs"].confidence < by_rule["pattern"].confidence


def test_places_taken_by_force_are_territory(pipeline):
    for text in (
        "Taliban fighters seized a district centre in Kunduz province on Friday.",
        "Militants took an army camp near Maiduguri on Friday.",
        "Islamic State militants gained ground in the south of Raqqa on Friday.",
    ):
        assert acled(pipeline, text) == "Non-state actor overtakes territory", text


def test_what_one_receives_from_another_is_the_givers_act(pipeline):
    coded = events(pipeline, "Armenian protesters received assurances from the Armenian government on Monday.")
    [event] = [e for e in coded if e.type == "AGREE"]
    assert [(a.country, a.sector) for a in event.source] == [("ARM", "GOV")]
    assert [a.country for a in event.target] == ["ARM"] and event.target[0].sector != "GOV"
    pledge = events(pipeline, "Kenya received a pledge of drought aid from Japan.")
    assert any(e.type == "AGREE" and [a.country for a in e.source] == ["JPN"] for e in pledge)


def test_being_opposed_to_something_is_the_subjects_rejection(pipeline):
    coded = events(pipeline, "Egypt is opposed to Qatari mediation in peace negotiations with Ethiopia.")
    [event] = [e for e in coded if e.type == "REJECT"]
    assert [a.country for a in event.source] == ["EGY"] and [a.country for a in event.target] == ["QAT"]


def test_a_trigger_file_flag_must_be_known(tmp_path):
    import pytest

    from powderkeg.coder.lexicon import LexiconError, build_lexicon

    rows = tmp_path / "mine.tsv"
    rows.write_text("storm\tVERB\t-\tASSAULT\t-\ttarget\t-\tbareok\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"mine\.tsv:1: unknown flag 'bareok'"):
        build_lexicon([rows])


def test_a_named_group_before_an_agent_word_is_the_actor(pipeline):
    def source_of(text):
        [event] = [e for e in events(pipeline, text) if e.type == "ASSAULT"]
        [actor] = event.source
        return actor

    fighters = source_of("Islamic State militants attacked a checkpoint near Kirkuk on Monday.")
    assert (fighters.country, fighters.org) == ("IMG", "ISI")
    officials = source_of("UN peacekeepers fired on a crowd in Bunia on Monday.")
    assert officials.country == "IGO" and officials.org == "UNO"
    supporters = source_of("Hamas supporters attacked a checkpoint near Hebron on Monday.")
    assert supporters.sector == "CVL"  # supporters are not the group itself


def test_verbal_abuse_is_no_assault_and_based_on_is_no_base(pipeline):
    coded = events(pipeline, "Two men verbally abused a journalist in Lahore on Friday.")
    assert not any(e.type == "ASSAULT" for e in coded)
    deployed = "The army deployed troops near the border on Friday based on a recent agreement."
    assert acled(pipeline, deployed) == "Change to group/activity"


def test_forces_mobilised_are_the_sources_own_and_the_foe_is_the_target(pipeline):
    coded = events(pipeline, "France mobilised army reservists for a possible war against Mali on Tuesday.")
    [event] = [e for e in coded if e.type == "MOBILIZE"]
    assert [a.country for a in event.target] == ["MLI"]


def test_a_bare_number_done_to_is_people(pipeline):
    text = "Nigerian police fired tear gas at the marchers in Lagos, wounding three and arresting 14."
    coded = events(pipeline, text)
    [arrest] = [e for e in coded if e.type == "COERCE"]
    assert [(a.country, a.sector) for a in arrest.target] == [("NGA", "CVL")]


def test_of_a_country_places_a_one_word_name(pipeline):
    coded = events(pipeline, "President Hassan of Somalia praised the African Union troops on Monday.")
    [event] = [e for e in coded if e.type == "SUPPORT"]
    assert [a.country for a in event.source] == ["SOM"]
    occupied = events(pipeline, "Palestinians of the Israeli-occupied West Bank protested on Monday.")
    assert all(a.country != "ISR" for e in occupied for a in e.source)


def test_withdrawing_ones_envoys_or_help_is_a_sanction(pipeline):
    done = events(pipeline, "Sweden withdrew its election observers from Belarus on Monday.")
    assert any(e.type == "SANCTION" and e.mode == "withdraw" for e in done)
    planned = events(pipeline, "The OSCE announced that it will withdraw its monitors from Georgia.")
    assert any(e.type == "THREATEN" for e in planned)
    troops = events(pipeline, "Russia withdrew its troops from the Kherson region on Friday.")
    assert any(e.type == "RETREAT" for e in troops)


def test_the_aim_of_a_promised_act_is_promised_too(pipeline):
    coded = events(pipeline, "Denmark is willing to send equipment to help protect Estonia, its defence minister said.")
    assert any(e.type == "AGREE" and [a.country for a in e.source] == ["DNK"] for e in coded)
    aimed = events(pipeline, "Police fired tear gas to disperse the crowd in Nairobi.")
    assert not any(e.type == "ASSAULT" and e.trigger == "disperse" for e in aimed)


def test_everyday_life_is_no_event(pipeline):
    for text in (
        "Kim Kardashian arrived in Paris on Monday.",  # a person of no political role
        "About 300 villagers died of cholera in Kasai last month.",  # a disease
        "It is hard to take a good family picture in Lagos.",  # a verb too vague for its default code
        "Starbucks will take full ownership of its outlets in China.",
    ):
        assert events(pipeline, text) == [], text
    visit = events(pipeline, "The Serbian prime minister arrived in Brussels on Monday.")
    assert any(e.type == "CONSULT" for e in visit)


def test_a_sentence_the_classifier_codes_has_the_told_clauses_actors_not_the_reporters(pipeline):
    text = "Slovakia and Albania have upgraded their diplomatic ties back to ambassadorial level, the TASR agency said."
    coded = events(pipeline, text)
    assert coded and all("TASR" not in a.text for e in coded for a in e.source)


def test_a_later_mention_completes_the_event_it_repeats():
    from powderkeg.coder.events import merge_mentions
    from powderkeg.model import Actor, Event

    def event(start, acled):
        turkey = [Actor(text="Turkish forces", code="TURMIL", country="TUR", sector="MIL")]
        return Event(
            type="MOBILIZE", mode=None, source=turkey, target=[], sentence="...", sentence_start=start,
            sentence_end=start + 3, rule="model:report", confidence=0.6, date="2024-03-06",
            acled_type=acled and "Strategic developments", acled_subtype=acled,
        )  # fmt: skip

    [merged] = merge_mentions([event(0, None), event(100, "Headquarters or base established")])
    assert merged.mentions == 2 and merged.acled_subtype == "Headquarters or base established"


def test_cooperation_among_private_people_is_no_event(pipeline):
    text = (
        "Ethiopia launched a measles vaccination campaign on Monday. "
        "Volunteers and health workers visited children in their homes in Tigray."
    )
    assert not any(e.type == "CONSULT" for e in events(pipeline, text))
    aid_workers = events(pipeline, "Doctors from Medecins Sans Frontieres visited detainees in the prison on Monday.")
    assert any(e.type == "CONSULT" for e in aid_workers)  # an organisation is a political actor


def test_a_request_made_that_something_be_done_is_no_deed(pipeline):
    text = (
        "Montenegro has formally made a request to NATO that its security forces be deployed to the "
        "border amid a drastic increase of political and ethnic tensions in the region."
    )
    coded = events(pipeline, text)
    assert any(e.type == "REQUEST" for e in coded)
    assert not any(e.type == "MOBILIZE" for e in coded)
