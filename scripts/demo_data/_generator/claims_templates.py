"""Hand-written templates and vocabulary for the synthetic insurance claims.

Used only by ``scripts/demo_data/make_demo_data.py``; nothing here is in the wheel.

Template mini-language (see ``make_demo_data.fill``):

* ``{name}``      -> a random entry of ``VOCAB[name]`` (entries may contain slots)
* ``{a|b|c}``     -> one of the alternatives (an empty alternative makes it optional)
* ``{I}``, ``{my}``, ``{me}``, ``{was}``, ``{have}``, ``{am}``, ``{need}``,
  ``{want}``, ``{Im}``, ``{Id}``, ``{myself}``, ``{dont}`` -> voice-dependent
  pronouns / verb forms (first person singular, first person plural, or an
  adjuster writing about the insured in the third person)
* ``{when}``      -> a date phrase consistent with the claim's date
* ``{amt}``       -> the claim amount, formatted like "$3,250"
* ``{car}``       -> the insured's vehicle for this claim (stable within a claim)
* ``{name}``-like third parties: ``{nbr}`` (a neighbour's first name), ``{kid}``
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLAIM_TYPES = ["auto", "property", "theft", "water_damage", "medical", "liability"]


@dataclass(frozen=True)
class Scenario:
    """One kind of incident. ``labels`` has one label, or two when ambiguous."""

    key: str
    labels: tuple[str, ...]
    median: float          # median claim amount in USD
    sigma: float           # log-normal spread
    core: list[str]        # the main sentence(s); one is picked
    details: list[str]     # extra sentences; 0-2 are picked
    closers: list[str] = field(default_factory=list)  # scenario-specific endings


VOCAB: dict[str, list[str]] = {
    "city": [
        "Columbus", "Tacoma", "Boise", "Raleigh", "Tucson", "Albany", "Madison", "Omaha",
        "Fresno", "Knoxville", "Spokane", "Dayton", "Reno", "Savannah", "Des Moines",
        "Lansing", "Chattanooga", "Eugene", "Provo", "Wichita", "Burlington", "Scranton",
        "Plano", "Mesa", "Rochester", "Asheville", "Duluth", "Fort Collins", "Tulsa",
        "Baton Rouge", "Green Bay", "Allentown",
    ],
    "street": [
        "Main St", "5th Avenue", "Maple Ave", "Broadway", "Oak Street", "Cedar Lane",
        "Washington Blvd", "Market St", "2nd Street", "Park Ave", "Franklin Rd", "Grand Ave",
        "Jefferson St", "Lincoln Way", "Willow Dr", "Hillcrest Rd", "Church Street",
        "Riverside Dr", "College Ave", "Kingston Pike",
    ],
    "road": [
        "Route 9", "I-80", "Highway 12", "the county road", "Old Mill Road", "the 405",
        "US-30", "the interstate", "Lakeshore Drive", "Pine Hollow Rd", "State Route 7",
        "I-94 westbound", "the frontage road", "Hwy 20 near the reservoir", "the beltway",
        "Quarry Road",
    ],
    "lot": [
        "Costco", "mall", "grocery store", "Walmart", "office", "hospital", "gym",
        "train station", "Home Depot", "movie theater", "Trader Joe's", "church", "school",
        "airport long-term", "Target", "DMV",
    ],
    "car_model": [
        "2017 Honda Civic", "2014 Toyota Camry", "2020 Subaru Outback", "2011 Ford F-150",
        "2019 Hyundai Tucson", "2016 Mazda CX-5", "2022 Kia Telluride", "2008 Jeep Wrangler",
        "2015 Chevy Malibu", "2021 Tesla Model 3", "2013 Nissan Altima", "2018 VW Jetta",
        "2010 Toyota Sienna", "2023 Honda CR-V", "2012 Ram 1500", "2019 Subaru Crosstrek",
        "2016 Ford Escape", "2020 Toyota Corolla", "2009 Honda Accord", "2024 Hyundai Elantra",
    ],
    "other_vehicle": [
        "a pickup", "a delivery van", "an SUV", "a landscaping truck", "a white sedan",
        "a city bus", "a kid in an old Corolla", "a rideshare driver", "a box truck",
        "a guy on his phone in a minivan", "a moving truck", "a black Dodge Charger",
    ],
    "part": [
        "front bumper", "rear bumper", "driver side door", "passenger door",
        "rear quarter panel", "side mirror", "hood", "tailgate", "front fender",
        "rear hatch",
    ],
    "side": ["driver", "passenger", "rear passenger", "front passenger"],
    "night_time": [
        "around 10 pm", "just after 5 in the morning", "at dusk", "around 11:30 at night",
        "right before sunrise", "about 9:45 pm",
    ],
    "time": [
        "around 7:30 pm", "early in the morning", "just after midnight", "around lunchtime",
        "mid-afternoon", "around 6 am", "late in the evening", "at about 3:15 pm",
    ],
    "shop": [
        "Mike's Auto Body", "the dealership", "a collision center in {city}",
        "the body shop down the street", "Precision Collision", "Caliber",
        "an independent shop",
    ],
    "police_no": ["#25-{d4}{d2}", "{d4}-{d3}", "RPT{d4}{d2}", "number {d3}{d4}"],
    "d2": [f"{i:02d}" for i in range(10, 99, 7)],
    "d3": [f"{i:03d}" for i in range(104, 999, 37)],
    "d4": [f"{i:04d}" for i in range(1021, 9999, 311)],
    "roof_part": [
        "north slope of the roof", "back half of the roof", "roof over the garage",
        "ridge line", "section of roof above the porch", "west side of the roof",
    ],
    "tree": [
        "oak", "maple", "pine", "silver maple", "cottonwood", "elm", "birch",
        "old walnut tree", "Bradford pear", "spruce",
    ],
    "structure": [
        "fence", "shed", "garage roof", "deck railing", "carport", "gazebo", "pergola",
        "back porch", "detached garage", "playset",
    ],
    "room": [
        "kitchen", "basement", "living room", "downstairs bathroom", "primary bedroom",
        "hallway", "laundry room", "finished basement", "den", "kids' bedroom",
        "dining room", "home office", "guest room",
    ],
    "floor": [
        "hardwood", "laminate flooring", "carpet", "vinyl plank floor", "tile",
        "engineered wood floor",
    ],
    "electronics": [
        "TV", "laptop", "gaming console", "desktop computer", "wifi router", "soundbar",
        "microwave", "smart thermostat", "printer",
    ],
    "loot": [
        "laptop", "iPad", "jewelry box", "grandmother's engagement ring", "two watches",
        "PlayStation 5", "cash from the dresser drawer", "camera and two lenses",
        "65-inch TV", "cordless power tools", "golf clubs", "e-bike", "gold necklace",
        "coin collection", "MacBook Pro", "DJI drone", "Xbox and controllers",
    ],
    "loot_single": [
        "laptop", "iPad", "jewelry box", "grandmother's engagement ring", "PlayStation 5",
        "camera", "gold necklace", "MacBook Pro", "DJI drone", "Rolex", "work laptop",
        "Nintendo Switch", "Kindle", "wedding band",
    ],
    "gadget": [
        "laptop", "iPad", "MacBook Pro", "work laptop", "Kindle", "Nintendo Switch", "iPhone",
        "Surface tablet", "noise-cancelling headphones",
    ],
    "car_loot": [
        "laptop bag", "gym bag and AirPods", "prescription sunglasses", "work laptop",
        "backpack with an iPad in it", "tool bag", "golf clubs", "purse", "camera bag",
        "kid's stroller and a diaper bag", "garage door opener and a jacket",
    ],
    "storage_loot": [
        "a vintage dresser", "camping gear", "a road bike", "power tools",
        "boxes of vinyl records", "a snowblower", "holiday decorations", "a leather sofa",
        "two mountain bikes", "a generator",
    ],
    "bike": [
        "road bike", "Trek mountain bike", "e-bike", "son's BMX bike", "cargo bike",
        "Specialized hybrid", "daughter's bike", "vintage Schwinn",
    ],
    "bike_place": [
        "the rack outside the library", "the bike cage at work", "the front porch",
        "outside the coffee shop on {street}", "the apartment garage",
        "the racks at the train station", "the back of the gym",
    ],
    "transit": ["bus", "subway", "light rail", "train to {city}", "crowded shuttle"],
    "nbr": [
        "Linda", "Raj", "Mr. Kowalski", "Denise", "Tomás", "Carol", "Kevin", "Mrs. Okafor",
        "Greg", "Pam", "Hector", "Joanne", "Brian", "Aisha", "Walt",
    ],
    "kid": ["son", "daughter", "eight-year-old", "teenage son", "youngest", "stepdaughter"],
    "guest": [
        "a friend", "{my} sister-in-law", "a guest at a barbecue", "the mail carrier",
        "a delivery driver", "the babysitter", "a neighbor", "{my} cousin", "a contractor",
        "one of {my} son's friends",
    ],
    "limb": ["wrist", "ankle", "arm", "collarbone", "two fingers", "elbow", "hand", "foot"],
    "injury": [
        "broke {my} {limb}", "sprained {my} ankle badly", "cut {my} hand open",
        "fractured {my} {limb}", "hurt {my} back", "dislocated {my} shoulder",
        "tore a ligament in {my} knee",
    ],
    "injury3": [
        "broke a {limb}", "badly sprained an ankle", "fractured a {limb}", "hurt their back",
        "dislocated a shoulder", "needed stitches in the scalp", "chipped a bone in the {limb}",
    ],
    "treatment": [
        "x-rays and a cast", "six stitches", "an MRI and a brace", "a splint and a follow-up "
        "with orthopedics", "a CT scan", "two weeks of physical therapy",
        "an overnight stay for observation", "a tetanus shot and stitches",
    ],
    "facility": [
        "the ER at St. Mary's", "urgent care", "the emergency room", "Mercy Hospital",
        "the walk-in clinic", "County General", "an urgent care on {street}",
        "the children's hospital",
    ],
    "appliance": [
        "washing machine", "dishwasher", "water heater", "refrigerator ice maker",
        "upstairs toilet", "kitchen sink", "bathroom vanity",
    ],
    "bath_fixture": ["upstairs toilet", "toilet", "bathroom vanity", "pedestal sink"],
    "overflow_src": ["washing machine", "dishwasher", "bathtub", "toilet", "kitchen sink"],
    "sky_room": ["kitchen", "living room", "upstairs hallway", "sunroom", "primary bathroom",
                 "family room"],
    "business": [
        "coffee shop", "hair salon", "bakery", "hardware store", "yoga studio",
        "small grocery", "bike shop", "restaurant", "boutique", "dental office",
    ],
    "sport": ["soccer", "pickup basketball", "skiing", "softball", "tennis", "mountain biking",
              "a rec volleyball league", "rock climbing at the gym"],
    "pet": ["dog", "lab mix", "German shepherd", "rescue pit mix", "golden retriever",
            "terrier"],
    "cold": ["the cold snap", "the deep freeze", "the polar vortex week", "that freezing night",
             "the ice storm"],
    "storm": ["the storm", "the thunderstorm", "the windstorm", "a derecho", "the tropical storm",
              "the nor'easter", "a severe thunderstorm"],
}


# --- openers / closers -----------------------------------------------------------------

OPENERS_FIRST = [
    "Hi, {I} need to file a claim.",
    "Hello, {Id} like to report a loss.",
    "Not sure if this is covered but here goes.",
    "Writing to open a claim on {my} policy.",
    "Hi there.",
    "{Id} like to start a claim please.",
    "Hello, following up on {my} call this morning.",
    "First time filing anything so bear with {me}.",
    "Good afternoon.",
]

OPENERS_ADJ = [
    "FNOL taken by phone.",
    "PH called {callday} to report loss.",
    "Per recorded statement:",
    "Claim reported via mobile app.",
    "Spoke with insd {callday}.",
    "DOL {mdy}.",
    "Loss reported by agent.",
    "Initial contact {callday}.",
]

CLOSERS_FIRST = [
    "Photos attached.",
    "{I} can send more photos if needed.",
    "Please let {me} know the next steps.",
    "Thanks for your help.",
    "{my} policy number should be on file.",
    "What else do you need from {me}?",
    "Best number to reach {me} is the cell on the account.",
    "Thank you.",
    "Hoping to get this sorted quickly.",
]

CLOSERS_ADJ = [
    "Photos rec'd.",
    "Coverage to be confirmed.",
    "Awaiting estimate.",
    "Recorded statement taken.",
    "Will follow up in 48 hrs.",
    "No prior losses on file.",
    "Reserve set, pending docs.",
    "Field adjuster assigned.",
    "Claimant advised of deductible.",
]


# --- scenarios -------------------------------------------------------------------------
# Clear cases first (one label), then ambiguous ones (two labels).

SCENARIOS: list[Scenario] = [
    # ---------------------------------------------------------------- auto
    Scenario("rear_ended", ("auto",), 3400, 0.6, [
        "{I} {was} stopped at a red light on {street} in {city} {when} when {other_vehicle} rear-ended {me}.",
        "Someone rear-ended {my} {car} while {I} {was} waiting to turn left onto {street}.",
        "Got rear-ended in stop-and-go traffic on {road} {when}.",
        "{my} {car} was hit from behind at the light by {street} and {street}, {city}.",
    ], [
        "The bumper is pushed in and the trunk won't close properly.",
        "The other driver admitted it was his fault and {we} swapped insurance info.",
        "The car is drivable but a tail light is cracked and the hatch rattles.",
        "Body shop quoted {amt} for the rear bumper, sensors and paint.",
        "Police came out and wrote it up, report {police_no}.",
        "Nobody was hurt, just shaken up.",
        "Backup camera stopped working after the hit.",
    ]),
    Scenario("parking_dent", ("auto",), 1600, 0.55, [
        "Came back to {my} {car} in the {lot} parking lot and found a deep dent and scrape along the {side} side, no note left.",
        "{my} parked car got hit at the {lot} {when}; whoever did it drove off.",
        "Someone dinged the {part} of {my} {car} while it was parked on {street} overnight.",
    ], [
        "There's blue paint transfer on the {part}.",
        "Store security says their camera doesn't cover that row.",
        "Estimate from {shop} is {amt}.",
        "The {part} will need to be replaced, not just repainted.",
        "{I} filed a report online with the police.",
    ]),
    Scenario("deer", ("auto",), 4300, 0.55, [
        "Hit a deer on {road} {night_time}.",
        "A deer ran out in front of {me} on {road} {when} and {I} couldn't stop in time.",
        "{I} struck a deer driving home from {city} {night_time}.",
    ], [
        "Front grille and the passenger headlight are smashed and the radiator is leaking coolant.",
        "The car had to be towed to {shop}.",
        "Hood is buckled and one airbag sensor light is on.",
        "{shop} estimated {amt} in parts and labor.",
        "Deer ran off into the woods; no one was injured.",
    ]),
    Scenario("hail_car", ("auto",), 3600, 0.5, [
        "Hailstorm {when} left dozens of dents on the hood and roof of {my} {car}.",
        "{my} {car} was parked outside during the hail {when} and is covered in dings.",
        "Golf-ball size hail came through {city} {when} and wrecked the finish on {my} {car}.",
    ], [
        "The sunroof glass is cracked too.",
        "Paintless dent repair place quoted {amt}.",
        "The house was fine, it's only the car that got hit since the garage is full.",
        "Rear windshield has a star crack from one of the bigger stones.",
    ]),
    Scenario("ice_slide", ("auto",), 5200, 0.65, [
        "Lost control on black ice on {road} {when} and slid into the guardrail.",
        "{my} {car} spun out on an icy curve on {road} and went into the ditch.",
        "Roads were slick {when} and {I} slid through the intersection into a light pole.",
    ], [
        "The front passenger wheel is bent in and the car pulls hard to the right.",
        "Tow truck took it to {shop}; they think the suspension is damaged.",
        "Only {my} vehicle was involved.",
        "The state trooper gave {me} a report number, {police_no}.",
        "Estimate is {amt} and might go up once they get it on the lift.",
    ]),
    Scenario("windshield", ("auto",), 520, 0.4, [
        "A rock kicked up by a gravel truck on {road} cracked {my} windshield.",
        "{my} windshield has a crack running across the driver side after something flew off a truck on {road}.",
        "Chip in the windshield from {when} has spread into a long crack.",
    ], [
        "It has the lane-assist camera so it needs to be recalibrated after replacement.",
        "Glass company quoted {amt}.",
        "The crack is right in {my} line of sight so it can't wait.",
    ]),
    Scenario("t_bone", ("auto",), 7000, 0.7, [
        "Another driver ran the stop sign at {street} and {street} and hit the {side} side of {my} {car}.",
        "{I} got T-boned in the intersection by {other_vehicle} that ran a red {when}.",
        "{other_vehicle} pulled out of a side street on {road} right into {my} {car}.",
    ], [
        "Airbags deployed and the car had to be towed.",
        "Tow yard says it's probably a total loss.",
        "There were two witnesses who stayed and gave statements to police.",
        "Both doors on that side are crushed and won't open.",
        "{I} {have} the other driver's insurance info and a photo of his license plate.",
        "Rental is needed since this is {my} only car.",
    ]),
    Scenario("backed_pole", ("auto",), 2100, 0.5, [
        "{I} backed into a concrete pillar in the {lot} parking garage and crushed the {part}.",
        "Misjudged the turn into {my} own garage and scraped the whole {side} side of the {car}.",
        "Backed into a low post {I} didn't see on the camera and cracked the {part}.",
    ], [
        "Nothing else was damaged, just the car.",
        "{shop} wants {amt} to fix it.",
        "Embarrassing but {I} {want} to get it fixed properly.",
    ]),
    Scenario("flooded_engine", ("auto",), 6800, 0.7, [
        "Drove through what looked like a shallow puddle on {street} after the storm and the engine stalled out.",
        "{my} {car} was parked on {street} when the street flooded {when} and water came up over the door sills.",
    ], [
        "Mechanic says water got into the air intake and the engine may be hydrolocked.",
        "The carpet and seats in the car are soaked and it smells musty already.",
        "Dealer estimate is {amt}, possibly more if the transmission is affected.",
        "It's at {shop} waiting on an adjuster.",
    ]),
    Scenario("pothole", ("auto",), 900, 0.5, [
        "Hit a huge pothole on {road} {when} that blew out the front tire and bent the rim.",
        "{my} {car} dropped into a pothole on {street} hidden under rainwater and now the alignment is way off.",
    ], [
        "Tire shop says the lower control arm is bent too.",
        "Repair came to {amt}.",
        "The city has known about that pothole for weeks.",
    ]),
    Scenario("sideswipe", ("auto",), 3900, 0.6, [
        "A truck merged into {my} lane on {road} {when} and sideswiped {my} {car}.",
        "Got sideswiped by {other_vehicle} changing lanes on {road}.",
    ], [
        "The {side} mirror is gone and both doors on that side are scraped down to the metal.",
        "The driver kept going; {I} got a partial plate.",
        "Dashcam footage is available if you need it.",
        "Quote from {shop} is {amt}.",
    ]),
    Scenario("rental_damage", ("auto",), 2400, 0.6, [
        "{I} scraped the rental car against a parking barrier on a trip to {city} {when}.",
        "The rental company in {city} is charging {me} for a dent in the {part} found at return.",
    ], [
        "{I} declined their damage waiver, so {I} {need} {my} own policy to cover it.",
        "They sent a bill for {amt} including loss-of-use fees.",
        "Attaching the rental agreement and their damage report.",
    ]),

    Scenario("sunroof_leak", ("auto",), 2900, 0.6, [
        "Rain got into {my} {car} through the sunroof drain during {storm} and soaked the carpets and the front seats.",
        "Water pooled in the footwell of {my} {car} after the heavy rain {when} and now the dash lights are flickering.",
    ], [
        "Dealer says the seat control module shorted out.",
        "Interior is drying at {shop}; estimate so far {amt}.",
        "It smells musty inside even with the windows down.",
    ]),
    # ---------------------------------------------------------------- property
    Scenario("wind_roof", ("property",), 6500, 0.7, [
        "High winds during {storm} {when} tore shingles off the {roof_part} of {my} house.",
        "{storm} {when} peeled back part of {my} roof and knocked the gutters loose.",
        "Wind gusts over 60 mph in {city} {when} ripped the flashing and a bunch of shingles off {my} roof.",
    ], [
        "A section of gutter is hanging off the front of the house.",
        "Roofer says the whole slope needs to be redone, quote is {amt}.",
        "{I} put a tarp up for now to keep it dry.",
        "Some siding on the north wall also blew off.",
        "Several neighbors on {street} have the same damage.",
    ]),
    Scenario("tree_on_structure", ("property",), 6500, 0.7, [
        "A large {tree} in {my} backyard came down during {storm} and crushed the {structure}.",
        "Half of the {tree} out front split off {when} and landed on {my} {structure}.",
        "A dead {tree} on {my} lot fell over in the wind and took out the {structure} and part of the {structure}.",
    ], [
        "Tree service charged {amt} just to remove it, before any repairs.",
        "The {structure} is a total loss.",
        "Nobody was hurt, thankfully.",
        "Power line to the garage was pulled down too; the utility company came out.",
    ]),
    Scenario("kitchen_fire", ("property",), 9000, 0.8, [
        "A grease fire started on the stove {when}; {I} got it out but the cabinets above and the range hood are scorched.",
        "Small fire in {my} kitchen {when} after a pan was left on the burner.",
        "The toaster oven caught fire {time} and the flames spread to the upper cabinets.",
        "Fire department responded to a fire in {my} garage {when} that started near the workbench.",
    ], [
        "The whole house smells like smoke and the walls are stained.",
        "Fire department report is attached.",
        "The restoration company estimate is {amt} for cleaning and rebuilding the kitchen.",
        "{I} {was} able to get everyone and the dog out.",
        "The microwave and the ceiling above the stove need replacing.",
    ]),
    Scenario("lightning_surge", ("property",), 3100, 0.7, [
        "Lightning struck near {my} house during {storm} and fried the {electronics}, the garage door opener and the furnace control board.",
        "Power surge from a lightning strike {when} knocked out several appliances.",
        "Lightning hit the big {tree} next to the house and blew out a bunch of electronics inside.",
    ], [
        "Electrician says the main panel has scorch marks and should be inspected.",
        "Total replacement cost is around {amt}.",
        "Nothing caught fire, but the {electronics} and the dishwasher are dead.",
    ]),
    Scenario("hail_house", ("property",), 8000, 0.6, [
        "Hail {when} dented the siding on {my} house and cracked two skylights.",
        "Big hail came through {city} and shredded {my} vinyl siding and the window screens.",
        "{storm} with hail {when} damaged {my} roof shingles and the AC unit fins.",
    ], [
        "Roofing contractor inspected and found hail hits across every slope.",
        "Contractor quote is {amt} for roof, siding and gutters.",
        "The cars were in the garage so it's just the house.",
    ]),
    Scenario("vandalism", ("property",), 1800, 0.7, [
        "Someone spray painted graffiti all over {my} garage door and fence {when}.",
        "Vandals smashed two of {my} front windows with rocks overnight.",
        "Kids threw rocks and broke the glass in {my} sunroom {when}; nothing was taken.",
        "Someone keyed the siding and slashed the screen door at {my} rental on {street}.",
    ], [
        "{I} filed a police report, {police_no}.",
        "Nothing was stolen, it's just destruction.",
        "Repair quote came to {amt}.",
        "It's the second time this year on {my} block.",
    ]),
    Scenario("car_into_house", ("property",), 10000, 0.6, [
        "A driver lost control on {street} {when} and plowed through {my} front fence and into the porch.",
        "A car jumped the curb {night_time} and hit the corner of {my} house.",
    ], [
        "The porch posts are broken and the roof over the porch is sagging.",
        "Structural engineer has to look at the front wall.",
        "Police have the driver's information; {I} don't know if he had insurance.",
        "Contractor estimate is {amt}.",
    ]),
    Scenario("accidental_house", ("property",), 1400, 0.6, [
        "{I} dropped a heavy mirror while hanging it and it cracked several floor tiles in the {room}.",
        "The ceiling fan in the {room} pulled out of the ceiling and fell, breaking the glass table under it.",
        "While moving furniture {I} put a dresser through the drywall in the {room}.",
    ], [
        "The tile is discontinued so the whole floor might need redoing.",
        "Handyman quoted {amt}.",
        "Not sure if this kind of accident is covered.",
    ]),
    Scenario("snow_collapse", ("property",), 7400, 0.7, [
        "Heavy snow load collapsed the roof of {my} carport {when}.",
        "After the blizzard the weight of the snow caved in part of {my} {structure}.",
        "Ice and snow buildup pulled the gutters off and bent the fascia along the back of the house.",
    ], [
        "The carport fell onto the riding mower stored under it.",
        "Estimate for rebuilding is {amt}.",
        "{we} got more than two feet in {city} over two days.",
    ]),
    Scenario("smoke_neighbor", ("property",), 5200, 0.8, [
        "The house next door caught fire {when} and the heat melted {my} vinyl siding and cracked a window.",
        "Brush fire behind {my} property {when} burned the back fence and scorched the shed.",
    ], [
        "Smoke got into the house and everything smells.",
        "Fire marshal report attached.",
        "Siding contractor quoted {amt}.",
    ]),

    # ---------------------------------------------------------------- theft
    Scenario("burglary_home", ("theft",), 4200, 0.9, [
        "Came home {when} and found the back door unlocked and {my} {loot} and {my} {loot} gone.",
        "Someone got into {my} apartment while {I} {was} at work and took {my} {loot}.",
        "{my} house was burglarized {when} while {I} {was} away in {city}; missing items include the {loot} and {loot}.",
        "Noticed {my} {loot_single} was missing after the cleaning crew left; nobody else had access.",
    ], [
        "No signs of forced entry, {I} may have left the slider unlocked.",
        "Police report {police_no} was filed the same day.",
        "Receipts and serial numbers for most items attached, total about {amt}.",
        "Neighbor's doorbell camera caught a man in a gray hoodie around {time}.",
        "The back gate was found wide open.",
    ], ["Police report attached.", "Officer said to check pawn shops."]),
    Scenario("package", ("theft",), 240, 0.6, [
        "Package with a new {electronics} was stolen off {my} front porch {when}.",
        "Tracking shows {my} order was delivered {when} but it was taken from the doorstep before {I} got home.",
        "Someone has been stealing packages on {street}; {my} delivery was taken {when}.",
    ], [
        "Doorbell camera shows a woman walking up and grabbing it.",
        "The retailer refused to refund since it was marked delivered.",
        "The item cost {amt}.",
    ]),
    Scenario("bike", ("theft",), 950, 0.6, [
        "{my} {bike} was stolen from {bike_place} even though it was locked.",
        "Somebody cut the lock and took {my} {bike} from {bike_place} {when}.",
        "{my} {bike} went missing from {bike_place} {time}.",
    ], [
        "They left the cut cable lock on the ground.",
        "Bought it for {amt} last year, receipt attached.",
        "Serial number is registered with the city.",
        "Reported to campus police.",
    ]),
    Scenario("pickpocket", ("theft",), 700, 0.7, [
        "Someone took {my} wallet and phone out of {my} bag on the {transit} {when}.",
        "{my} purse was snatched outside a restaurant in {city} {time}.",
        "{I} {was} pickpocketed in a crowd at the farmers market; wallet and phone gone.",
    ], [
        "Cancelled the cards right away but the phone is gone for good.",
        "Police report {police_no}.",
        "Phone, wallet and cash add up to roughly {amt}.",
    ]),
    Scenario("storage_unit", ("theft",), 3800, 0.8, [
        "{my} storage unit on {street} was broken into and a lot of items were taken.",
        "The storage facility called to say several units, including {mine}, had the locks cut {when}.",
    ], [
        "Missing: {storage_loot}, {storage_loot} and {storage_loot}.",
        "Facility has camera footage but it's grainy.",
        "Estimated loss is {amt}.",
    ]),
    Scenario("tools", ("theft",), 3100, 0.7, [
        "Contractor tools were stolen out of {my} garage overnight {when}, the side door was left open.",
        "Someone took {my} table saw, compressor and nail guns from the job site trailer.",
        "{my} lawn mower and leaf blower were stolen from the shed {when}.",
    ], [
        "List of tools with approximate values attached; total about {amt}.",
        "Neighbor saw a truck in the driveway around {time} but thought it was a landscaper.",
        "Filed with {city} police.",
    ]),
    Scenario("hotel_luggage", ("theft",), 1900, 0.7, [
        "{my} suitcase was stolen from the hotel lobby in {city} while {I} {was} checking in.",
        "A bag with {my} {loot_single} was taken from a locker at the gym.",
        "{my} carry-on disappeared from the luggage rack on the {transit}.",
    ], [
        "Staff say they're not responsible for unattended bags.",
        "Contents were worth about {amt}.",
        "Reported to the station police that day.",
    ]),
    Scenario("cafe_laptop", ("theft",), 1500, 0.5, [
        "{my} {gadget} was stolen off the table at a coffee shop on {street} when {I} turned around for a second.",
        "Someone grabbed {my} backpack with {my} {gadget} in it at the library {when}.",
    ], [
        "The tracking app shows it was last online in {city}.",
        "It was about {amt} new.",
        "Police took a report but didn't sound hopeful.",
    ]),
    Scenario("yard_items", ("theft",), 1100, 0.7, [
        "Thieves took {my} grill and patio furniture from the backyard {when}.",
        "{my} utility trailer was stolen from the driveway overnight.",
        "Someone stole the copper downspouts and the outdoor AC disconnect from {my} rental house.",
        "{my} kayaks were taken off the rack on the side of the house.",
    ], [
        "The gate latch was broken.",
        "Replacement cost is around {amt}.",
        "Police report {police_no}.",
    ]),

    Scenario("contractor_fraud", ("theft",), 4800, 0.6, [
        "{I} paid a roofer a deposit to fix the storm damage on {my} roof and he disappeared without doing any work.",
        "A contractor took {my} deposit for a new fence and then stopped answering his phone; turns out he did the same to others on {street}.",
        "Someone posing as a utility worker came in to check the water meter and {my} {loot_single} was missing afterwards.",
    ], [
        "The deposit was {amt}, paid by check.",
        "{I} reported it to the police and the state attorney general's office.",
        "The phone number and website are gone now.",
    ]),
    Scenario("wheels_stolen", ("theft",), 2600, 0.5, [
        "Woke up {when} to find {my} {car} sitting on cinder blocks; all four wheels and tires were stolen.",
        "Someone stole the tailgate off {my} {car} overnight in the apartment lot.",
    ], [
        "The lug nut lock was cut.",
        "Replacement cost from the dealer is {amt}.",
        "Police report {police_no}; the officer said it happens a lot in that area.",
    ]),
    # ---------------------------------------------------------------- water_damage
    Scenario("frozen_pipe", ("water_damage",), 7000, 0.75, [
        "A pipe in the outside wall burst during {cold} and water poured into the {room}.",
        "Pipes froze and split in the crawlspace {when}; water ran for hours before {I} noticed.",
        "{I} came back from {city} to find a burst pipe under the {room} sink and standing water everywhere.",
    ], [
        "The {floor} is buckled and the drywall is wet up to about a foot.",
        "Water mitigation company put in fans and dehumidifiers; their bill alone is {amt}.",
        "{I} shut off the main as soon as {I} saw it.",
        "The plumber's invoice is attached.",
        "Ceiling in the room below has a brown stain and is sagging.",
    ]),
    Scenario("washer_hose", ("water_damage",), 6200, 0.7, [
        "The supply hose on the washing machine split {when} and flooded the laundry room and hallway.",
        "{my} {appliance} leaked overnight and water spread across the {room}.",
        "The {appliance} supply line cracked while {we} were at work and water ran all day.",
    ], [
        "The {floor} in the {room} is cupping.",
        "Restoration company estimate is {amt}.",
        "Water went under the baseboards into the next room too.",
        "The baseboards are swollen and there's a musty smell already.",
    ]),
    Scenario("water_heater", ("water_damage",), 4800, 0.6, [
        "The water heater in the basement rusted through and leaked all over the {floor}.",
        "Old water heater failed {when} and soaked the finished basement carpet and some drywall.",
    ], [
        "Boxes of stored stuff and an old couch are ruined.",
        "Plumber replaced the heater; cleanup estimate is {amt}.",
        "{I} know the heater itself isn't covered, just the damage.",
    ]),
    Scenario("dishwasher", ("water_damage",), 5400, 0.6, [
        "Slow leak from under the dishwasher rotted the subfloor in the {room}.",
        "Found water seeping out from under the kitchen cabinets {when}; turned out the dishwasher drain line came loose.",
    ], [
        "There's mold on the back of the cabinet panels.",
        "Contractor says the cabinets on that wall have to come out, estimate {amt}.",
        "Dishwasher is only two years old.",
    ]),
    Scenario("toilet", ("water_damage",), 3600, 0.6, [
        "The {bath_fixture} supply line broke and flooded the bathroom {when}.",
        "Toilet overflowed upstairs and water came through the {room} ceiling light fixture.",
        "The fill valve in the upstairs toilet stuck open and it ran over while {we} were out.",
    ], [
        "The ceiling drywall below will need to be cut out.",
        "Mitigation company set up drying equipment for three days.",
        "Estimate to repair is {amt}.",
    ]),
    Scenario("sump_pump", ("water_damage",), 8000, 0.7, [
        "The sump pump quit during heavy rain {when} and there was about six inches of water in the basement.",
        "Sewer backed up through the basement floor drain {when} and flooded the {room}.",
        "Power went out during {storm} and without the sump pump the basement flooded.",
    ], [
        "Furnace and water heater sat in water and a technician says both need replacing.",
        "The basement is finished so carpet, drywall and a sectional are ruined.",
        "Cleanup company estimate is {amt}.",
        "{I} {have} the sewer backup endorsement on {my} policy.",
    ]),
    Scenario("upstairs_leak", ("water_damage",), 4200, 0.7, [
        "Water leaked from the unit above {mine} and came through the bathroom ceiling {when}.",
        "The condo upstairs had a leak and now {my} {room} ceiling has a big stain and is dripping.",
    ], [
        "Building management shut the water off but the damage to {my} ceiling and {floor} is done.",
        "HOA says the interior is {my} responsibility.",
        "Estimate for drywall and flooring is {amt}.",
    ]),
    Scenario("ice_dam", ("water_damage",), 5100, 0.7, [
        "Ice dams on the roof {when} caused water to back up and drip through the {room} ceiling.",
        "Meltwater from an ice dam got into the wall of the {room} and the paint is bubbling.",
    ], [
        "Insulation in the attic above is soaked.",
        "Drywall repair and painting estimate is {amt}.",
        "There's a water line on the window trim.",
    ]),
    Scenario("ac_condensate", ("water_damage",), 2600, 0.6, [
        "The AC condensate line in the attic clogged and overflowed, leaking through the {room} ceiling.",
        "Water dripping from the air handler closet soaked the hallway {floor} {when}.",
    ], [
        "HVAC tech cleared the line; the ceiling has a soft spot.",
        "Repair estimate {amt}.",
        "Small patch of mold found when they opened the ceiling.",
    ]),

    Scenario("garage_flood", ("water_damage",), 5200, 0.7, [
        "Heavy rain {when} flooded the street and water came in under {my} garage door, soaking everything stored on the floor.",
        "Groundwater seeped through the basement walls during {storm} and soaked the {floor} in the {room}.",
    ], [
        "The chest freezer and the boxes of holiday decorations are ruined.",
        "Restoration company bill is {amt}.",
        "{I} {have} photos of the water line on the drywall.",
    ]),
    # ---------------------------------------------------------------- medical
    Scenario("fall_home", ("medical",), 3200, 0.8, [
        "{I} slipped on the stairs at home {when} and {injury}.",
        "{I} fell off a step ladder while cleaning gutters and {injury}.",
        "{my} {kid} fell down the basement stairs and {injury3}.",
        "Tripped over the dog's leash on the front walk and {injury}.",
    ], [
        "Went to {facility} and got {treatment}.",
        "Bills so far total {amt} after the copay.",
        "Follow-up appointment with ortho is next week.",
        "Was off work for about ten days.",
    ]),
    Scenario("sports", ("medical",), 5500, 0.9, [
        "Tore {my} ACL playing {sport} {when}; surgery is scheduled.",
        "{my} {kid} got hurt playing {sport} and {injury3}.",
        "Hurt {my} shoulder during {sport} and the MRI showed a torn rotator cuff.",
    ], [
        "Orthopedic surgeon's estimate for the procedure is {amt}.",
        "Physical therapy twice a week for eight weeks was prescribed.",
        "{I} {have} the EOB from the hospital.",
        "ER visit, x-rays and a brace so far.",
    ]),
    Scenario("playground", ("medical",), 1400, 0.6, [
        "{my} {kid} fell off the monkey bars at school and needed stitches above the eyebrow.",
        "{my} {kid} fell off a trampoline at a friend's house and fractured a wrist.",
        "{my} {kid} split a chin open at the playground {when}.",
    ], [
        "Treated at {facility}.",
        "Total billed was {amt}.",
        "Pediatrician follow-up is scheduled.",
    ]),
    Scenario("ambulance", ("medical",), 2600, 0.7, [
        "{I} {was} taken by ambulance to {facility} with chest pain {when}.",
        "{my} father collapsed at home and was taken by ambulance to {facility}.",
        "Had a bad allergic reaction at dinner in {city} and needed an ambulance and ER treatment.",
    ], [
        "They kept {me} overnight for observation and tests.",
        "Ambulance bill alone was {amt}.",
        "Diagnosis was not a heart attack, thankfully.",
        "Requesting reimbursement for the out-of-network ambulance charge.",
    ]),
    Scenario("hiking", ("medical",), 1900, 0.7, [
        "Rolled {my} ankle on a hiking trail outside {city} and had to be helped down.",
        "{I} {was} stung by a swarm of wasps while hiking and had a severe reaction.",
        "Fell on wet rocks at the state park {when} and {injury}.",
    ], [
        "Urgent care did x-rays and put it in a boot.",
        "Park rangers assisted and called the EMTs.",
        "Charges came to {amt}.",
    ]),
    Scenario("kitchen_cut", ("medical",), 950, 0.5, [
        "Cut {my} hand badly with a kitchen knife while cooking {when}.",
        "{I} burned {my} forearm on the oven rack taking out a tray.",
        "Sliced {my} thumb open on a mandoline and couldn't stop the bleeding.",
    ], [
        "Went to {facility} for stitches.",
        "Bill is {amt}.",
        "Have to go back in a week to get the stitches out.",
    ]),
    Scenario("back_injury", ("medical",), 4500, 0.8, [
        "{I} hurt {my} lower back lifting a heavy box at home and can barely walk.",
        "Herniated disc from shoveling snow {when}; doctor ordered an MRI and physical therapy.",
    ], [
        "Chiropractor and PT sessions add up to about {amt}.",
        "Pain specialist recommended an injection.",
        "Missed a week of work.",
    ]),
    Scenario("travel_illness", ("medical",), 3800, 0.9, [
        "{I} got very sick on vacation in Mexico and was admitted to a local hospital for two nights.",
        "Came down with pneumonia while visiting family in {city} and ended up in the hospital.",
    ], [
        "Paid {amt} out of pocket and have receipts in Spanish and English.",
        "Need to know if out-of-network emergency care is reimbursed.",
        "Discharge summary attached.",
    ]),
    Scenario("dental", ("medical",), 1700, 0.6, [
        "{I} tripped on the curb on {street} and broke two front teeth.",
        "{my} {kid} took an elbow to the face playing {sport} and chipped a tooth.",
    ], [
        "Emergency dentist did a temporary crown.",
        "Dentist's treatment plan totals {amt}.",
        "Lip needed a couple of stitches too.",
    ]),
    Scenario("dog_bite_self", ("medical",), 1600, 0.6, [
        "{I} {was} bitten by a stray dog while jogging on {street} {when}.",
        "A loose dog in the park bit {my} {kid} on the leg.",
    ], [
        "Needed stitches and started rabies shots as a precaution.",
        "Animal control was notified but couldn't find the dog.",
        "Bills so far are {amt}.",
    ]),

    Scenario("parking_fall", ("medical",), 2400, 0.7, [
        "{I} slipped on ice getting out of {my} {car} in the {lot} parking lot and {injury}.",
        "{I} got dizzy and fell while loading groceries into {my} {car} and hit {my} head on the door frame.",
        "Caught {my} fingers in the car door {when}; two fingers were fractured.",
    ], [
        "Went to {facility} and got {treatment}.",
        "The car itself is fine, this is just for the medical bills, about {amt} so far.",
        "Orthopedist wants to see {me} again in two weeks.",
    ]),
    # ---------------------------------------------------------------- liability
    Scenario("my_dog_bites", ("liability",), 7500, 0.9, [
        "{my} {pet} got out of the yard {when} and bit a jogger on {street}.",
        "{my} {pet} nipped the mail carrier and the postal service is asking {me} to cover it.",
        "{nbr}'s little boy reached over the fence and {my} {pet} bit his hand; {nbr} says {I} {am} responsible.",
    ], [
        "The family has hired a lawyer and sent a demand letter.",
        "Animal control quarantined the dog for ten days.",
        "They are asking for {amt} to cover bills and pain and suffering.",
        "{I} {have} never had a complaint about the dog before.",
    ]),
    Scenario("guest_slip", ("liability",), 11000, 0.9, [
        "{guest} slipped on {my} icy front steps {when} and is now saying {I} should pay for everything.",
        "Received a demand letter from an attorney representing {nbr}, who claims to have tripped on the uneven sidewalk in front of {my} house.",
        "{nbr} is suing {me} after falling on {my} driveway at a holiday party.",
    ], [
        "{I} {have} been served with papers.",
        "Their lawyer is asking for {amt}.",
        "{I} {dont} think {I} did anything wrong, but {I} {want} it handled properly.",
        "The claim mentions lost wages and future medical care.",
    ]),
    Scenario("kid_window", ("liability",), 650, 0.6, [
        "{my} {kid} hit a baseball through {nbr}'s front window {when}.",
        "{my} {kid} crashed a bike into {nbr}'s parked car and scratched the door.",
        "{my} {kid} was playing with a soccer ball in the house and it went through the neighbor's greenhouse panel.",
    ], [
        "{nbr} got a quote of {amt} and asked if {our} insurance would handle it.",
        "{we} want to make it right with them.",
        "{nbr} is being very reasonable about it.",
    ]),
    Scenario("contractor_hurt", ("liability",), 11000, 0.9, [
        "A contractor fell through {my} attic floor while running cable and is claiming {I} should have warned him.",
        "The guy {I} hired to trim trees fell from the ladder in {my} yard and his lawyer contacted {me}.",
        "A house cleaner tripped on a torn rug in {my} hallway and says she can't work now.",
    ], [
        "He apparently doesn't have his own workers comp.",
        "{I} {have} a letter from his attorney requesting policy limits.",
        "They are claiming {amt} in damages.",
    ]),
    Scenario("rented_damage", ("liability",), 3200, 0.8, [
        "{my} landlord is holding {me} responsible for a burned countertop and stained carpet when {I} moved out.",
        "{I} accidentally knocked over a display at a furniture store and the store is billing {me} for it.",
        "A borrowed pressure washer slipped off {my} truck and was destroyed; {nbr} wants it replaced.",
        "While helping {nbr} move, {I} dropped their TV down the stairs.",
    ], [
        "The bill is {amt}.",
        "{I} {want} to know if personal liability covers this.",
        "They've sent photos and an invoice.",
    ]),
    Scenario("golf_ladder", ("liability",), 1500, 0.7, [
        "{my} golf ball went through the window of a house next to the 7th hole {when}.",
        "{my} ladder fell over in the wind while {I} {was} painting and landed on {nbr}'s car.",
        "A piece of {my} trampoline blew into {nbr}'s yard during {storm} and smashed the windshield of their truck.",
    ], [
        "The homeowner came out and asked for {my} insurance information.",
        "{nbr} wants {amt} for the repair.",
        "It was clearly {my} fault, no argument there.",
    ]),
    Scenario("event_guest", ("liability",), 8000, 1.0, [
        "A guest at {my} daughter's graduation party fell off {my} deck when the railing gave way.",
        "Someone at {our} backyard barbecue tripped over a garden hose and broke a hip; her family is asking about {my} coverage.",
        "{guest} got burned by the fire pit at {my} house and is now threatening to sue.",
    ], [
        "Their attorney sent a letter asking for {my} homeowners policy details.",
        "Demand is {amt} for medical bills and lost wages.",
        "{I} {want} to report it before anything else happens.",
    ]),
    Scenario("sidewalk_business", ("liability",), 8000, 0.9, [
        "A customer tripped over a cord at {my} {business} {when} and is claiming damages.",
        "A client says a shelf fell on her in {my} {business} and her lawyer is asking for records.",
    ], [
        "{we} have security video showing the fall.",
        "The demand letter asks for {amt}.",
        "This is under the business liability portion of the policy.",
    ]),

    # ================================================================ ambiguous pairs
    Scenario("storm_roof_rain", ("property", "water_damage"), 6500, 0.75, [
        "{storm} {when} blew a branch through {my} roof and rain poured into the {room} overnight.",
        "Wind tore shingles off the {roof_part} and the rain came right through the ceiling into the {room}.",
        "A section of roof flashing lifted during {storm} and now water is dripping into the {room} and down the walls.",
    ], [
        "Ceiling drywall collapsed and the {floor} is soaked.",
        "Roofer quoted for the roof and a water mitigation company is drying out the room, combined about {amt}.",
        "Insulation in the attic is wet and there's a tarp on the roof now.",
        "Paint is bubbling down the wall and the outlet near the floor stopped working.",
    ]),
    Scenario("burst_pipe_ceiling", ("water_damage", "property"), 6000, 0.8, [
        "A pipe burst in the ceiling of the {room} and the whole ceiling came down, breaking the light fixture and the TV stand.",
        "Burst pipe in the wall caused the drywall to collapse and it took out the cabinets below in the {room}.",
        "The water pipe to the upstairs bathroom split and the weight of the water brought down the {room} ceiling.",
    ], [
        "Structural damage to the joists, according to the contractor.",
        "Furniture and a bookcase were crushed under the drywall.",
        "Repair estimate is {amt} for ceiling, framing and floors.",
        "Electrician has to check the wiring that got soaked.",
    ]),
    Scenario("hail_skylight", ("property", "water_damage"), 5600, 0.7, [
        "Hail cracked the skylight in the {sky_room} and rain leaked in all night onto the {floor}.",
        "A falling limb cracked {my} bedroom window during {storm} and rain soaked the carpet and the wall under it.",
    ], [
        "The {floor} has to be replaced and the window frame is rotting.",
        "Glass and flooring estimate together are {amt}.",
        "There's water in the light fixture under the skylight.",
    ]),
    Scenario("car_breakin", ("theft", "auto"), 1700, 0.7, [
        "Someone smashed the {side} window of {my} {car} in the {lot} parking lot and stole {my} {car_loot} from the back seat.",
        "{my} {car} was broken into overnight on {street}; the window is shattered and they took {my} {car_loot}.",
        "Thieves broke into {my} {car} at the trailhead, took {my} {car_loot} and damaged the door lock.",
    ], [
        "Glass is all over the seats and the door panel is scratched.",
        "Police report {police_no}.",
        "Window replacement plus the stolen items is about {amt}.",
        "The dash was pried at to get the stereo, but they gave up.",
    ]),
    Scenario("car_stolen_recovered", ("theft", "auto"), 6000, 0.8, [
        "{my} {car} was stolen from {my} driveway {when} and found two days later in {city} with the ignition ripped out.",
        "Police recovered {my} stolen {car} but it's been stripped: wheels, seats and the catalytic converter are gone.",
        "{my} {car} was taken from the {lot} lot and the police found it crashed into a pole on {road}.",
    ], [
        "The steering column is broken and the interior is trashed.",
        "Shop says the damage is about {amt}.",
        "The keys are still with {me}, so they must have hot-wired it.",
        "It's at the police impound lot in {city}.",
    ]),
    Scenario("catalytic", ("theft", "auto"), 2300, 0.5, [
        "Someone cut the catalytic converter off {my} {car} while it was parked on {street}.",
        "Started {my} {car} {when} and it sounded like a race car; the catalytic converter was sawed off.",
    ], [
        "They also cut an oxygen sensor wire and damaged the exhaust pipe.",
        "Muffler shop quoted {amt} to replace it.",
        "It's the third one stolen on {my} block this month.",
    ]),
    Scenario("burglary_damage", ("theft", "property"), 4200, 0.8, [
        "Burglars kicked in {my} back door {when}, splitting the frame, and took {my} {loot} and {my} {loot}.",
        "Someone broke the sliding glass door to get into {my} house and stole {my} {loot_single}.",
        "Break-in at {my} house while {we} were in {city}: the garage door was pried open, the {loot_single} is gone and the door track is bent.",
    ], [
        "Door, frame and lock all need to be replaced.",
        "They also broke the glass in the curio cabinet and damaged the drywall in the hallway.",
        "Police report {police_no} filed.",
        "Total of the stolen items plus repairs is around {amt}.",
    ]),
    Scenario("customer_slip", ("liability", "medical"), 4500, 1.0, [
        "A customer slipped on the wet floor at {my} {business} {when} and went to {facility}; she sent the bills to {me}.",
        "{guest} fell down {my} basement stairs at a party and {injury3}; {I} {want} to make sure the medical bills get covered.",
        "{nbr} slipped on the ice on {my} walkway and needed {treatment}.",
    ], [
        "The bills so far are {amt} for {treatment}.",
        "No lawyer so far, they just want the medical bills paid.",
        "{we} had a wet floor sign out but it may have been around the corner.",
        "X-rays showed a fracture.",
    ]),
    Scenario("dog_bite_guest", ("liability", "medical"), 4200, 0.9, [
        "{my} {pet} bit a visiting child on the face at {my} house {when} and she needed stitches at {facility}.",
        "{nbr}'s daughter was bitten by {my} {pet} in {our} backyard and had to get stitches and antibiotics.",
    ], [
        "Plastic surgeon consult was recommended to minimize scarring.",
        "Medical bills so far total {amt}.",
        "The parents are asking that {we} cover the ER and follow-up costs.",
    ]),
    Scenario("at_fault_injury", ("auto", "liability"), 5500, 1.0, [
        "{I} rear-ended a pickup at the light on {street} {when} and the other driver says his neck hurts and has a lawyer.",
        "{I} ran a stop sign and hit a cyclist on {street}; he was taken to the hospital.",
        "{I} backed out of {my} driveway and hit {nbr}'s parked car and their mailbox.",
        "{I} clipped {nbr}'s fence and a garden wall when {my} {car} slid on the ice.",
    ], [
        "The damage to {my} own car is minor, mostly the front bumper.",
        "Their attorney sent a letter of representation.",
        "{nbr} got an estimate for {amt} for the repairs.",
        "Police cited {me} for failure to yield.",
    ]),
    Scenario("car_accident_injury", ("auto", "medical"), 5000, 0.9, [
        "{I} {was} in a car accident on {road} {when} and went to {facility} with whiplash and a concussion.",
        "{my} {kid} was in the back seat when {we} got hit at the intersection and was taken to the ER for a broken arm.",
        "After the crash on {road}, {I} needed {treatment} and the {car} was towed.",
    ], [
        "Bills so far are {amt} between the ER, x-rays and PT.",
        "The car is at {shop} and may be totaled.",
        "Doctor says physical therapy for at least six weeks.",
        "Airbags went off and burned {my} forearms.",
    ]),
    Scenario("water_to_neighbor", ("water_damage", "liability"), 5500, 0.8, [
        "{my} {overflow_src} overflowed {when} and water went through the floor into the downstairs neighbor's kitchen.",
        "{I} left the bathtub running and it flooded {my} bathroom and leaked into the unit below.",
        "A leak from {my} condo's water heater damaged the ceiling and cabinets in {nbr}'s unit below.",
    ], [
        "The neighbor is asking {me} to pay for their ceiling and cabinets.",
        "{my} own floor is ruined and the neighbor's ceiling has to be replaced.",
        "Building manager sent {me} an invoice for {amt}.",
        "The HOA's insurance might get involved.",
    ]),
    Scenario("tree_on_neighbor", ("property", "liability"), 5000, 0.8, [
        "{my} {tree} came down in {storm} {when} and landed on {nbr}'s garage and {our} shared fence.",
        "A big limb from {my} {tree} fell across the property line and crushed {nbr}'s shed and part of {our} deck.",
    ], [
        "{nbr} is saying {I} should have had the tree taken down years ago.",
        "Tree removal alone is {amt}.",
        "Both properties have damage, ours is mainly the fence and deck.",
    ]),
]
