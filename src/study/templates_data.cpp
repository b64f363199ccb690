// The paper's prompt tables (javiferran/sae_entities: create_wikidata_entity_queries.py
// WIKIDATA_QUERIES_BASE / WIKIDATA_QUERIES / WIKIDATA_QUERIES_FREE, prompt_types_to_include;
// mech_interp_utils.py entity_type_to_it_relations / entity_type_to_base_relations).
#include "knowscope/study/templates.h"

namespace knowscope::study {
namespace {

constexpr CorrectnessFn kName{CheckKind::name, 0, std::nullopt};
constexpr CorrectnessFn number(int64_t tol) { return {CheckKind::number, tol, std::nullopt}; }
constexpr CorrectnessFn kPopulation{CheckKind::number, 0, 0.1};
constexpr CorrectnessFn kDurations{CheckKind::number_in_list, 3, std::nullopt};
constexpr CorrectnessFn kGenres{CheckKind::genres_list, 0, std::nullopt};
constexpr CorrectnessFn kGeo{CheckKind::geo, 1, std::nullopt};
constexpr CorrectnessFn kSubstring{CheckKind::substring, 0, std::nullopt};

// clang-format off
constexpr PromptTemplate kTemplates[] = {
    {"player_place_birth", "player", "place_birth",
     "What is the place of birth for the player '{entity}'?",
     "The city of birth for the player '{entity}' is", "City of birth=",
     kName, kName, "Where was born", "was born in the year"},
    {"player_date_birth", "player", "date_birth",
     "What is the year of birth for the player '{entity}'?",
     "The year of birth for the player '{entity}' is", "Year of birth=",
     number(5), number(0), "When was born", "was born in the city of"},
    {"player_teams_list", "player", "teams_list",
     "What team (name at least one) signed the player '{entity}'?",
     "The team that signed the player '{entity}' is", "Team=",
     kName, kName, "In which teams have played", "has played for"},
    {"movie_directors", "movie", "directors",
     "Who is the director of the movie '{entity}'?",
     "The director of the movie '{entity}' is", "Director=",
     kName, kName, "Who directed", "is directed by"},
    {"movie_cast", "movie", "cast",
     "What is the name of an actor starring in the movie '{entity}'?",
     "The actor starring in the movie '{entity}' is", "Actor=",
     kName, kName, "Who is starring in", "has starring"},
    {"movie_screenwriters", "movie", "screenwriters",
     "Who is the screenwriter of the movie '{entity}'?",
     "The screenwriter of the movie '{entity}' is", "Screenwriter=",
     kName, kName, "Who wrote", "is written by"},
    {"movie_genres", "movie", "genres",
     "What genre label best describes the movie '{entity}'?",
     "The genre label that best describes the movie '{entity}' is", "Genre=",
     kGenres, kGenres, "What is the genre of", "has the genre"},
    {"movie_release_year", "movie", "release_year",
     "What was the release year for the movie '{entity}'?",
     "The release year for the movie '{entity}' is", "Release year=",
     number(2), number(2), "What is the release year of", "was released in"},
    {"movie_durations", "movie", "durations",
     "What is the duration, in minutes, of the movie '{entity}'?",
     "The duration of the movie '{entity}' is", "Duration(minutes)=",
     kDurations, kDurations, "What is the duration of", "has a duration of"},
    {"city_country", "city", "country",
     "What country contains the city of '{entity}'?",
     "The country that contains the city '{entity}' is", "Country (official name)=",
     kName, kSubstring, "In which country is", "is located in"},
    {"city_location", "city", "location",
     "What geographic coordinates correspond to the city of '{entity}'?",
     "The geographic coordinates that correspond to the city '{entity}' are", "Latitude=",
     kGeo, kGeo, "", ""},
    {"city_population", "city", "population",
     "How large, in number, is the population of the city '{entity}'?",
     "The population of the city '{entity}' is", "Population=",
     kPopulation, kPopulation, "What is the population of", "has a population of"},
    {"city_elevation", "city", "elevation",
     "What is the altitude, in meters, of the city '{entity}'?",
     "The altitude of the city '{entity}' is", "Altitude=",
     number(20), number(20), "What is the elevation of", "is at an elevation of"},
    {"song_album", "song", "album",
     "What is the album of the song '{entity}'?",
     "The album of the song '{entity}' is", "Album=",
     kName, kName, "In which album appears", "appears in the album"},
    {"song_publication_year", "song", "publication_year",
     "What is the publication year of the song '{entity}'?",
     "The publication year for the song '{entity}' is", "Publication year=",
     number(0), number(0), "What is the release year of", "was released in"},
    {"song_genres", "song", "genres",
     "What is the genre of the song '{entity}'?",
     "The genre label that best describes the song '{entity}' is", "Genre=",
     kName, kName, "What is the genre of", "has the genre"},
    {"song_performers", "song", "performers",
     "Who is the performer of the song '{entity}'?",
     "The performer of the song '{entity}' is", "Performer=",
     kName, kName, "Who is the singer of", "is sung by"},
};
// clang-format on

}  // namespace

std::span<const PromptTemplate> prompt_templates() { return kTemplates; }

}  // namespace knowscope::study
