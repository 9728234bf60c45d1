/**
 * Fixed vocabularies of the synthetic population: merchant categories (design section 3), how much
 * and how often people spend in each, the cities, and words for names.
 */
import { MERCHANT_CATEGORIES } from '../core/scoring/weight-set.ts';

/** The merchant categories of the API contract, in contract order (the scoring core's one list). */
export const CATEGORIES = MERCHANT_CATEGORIES;

export type Category = (typeof CATEGORIES)[number];

/** How often a customer comes back within a month. */
export type Frequency = 'high' | 'medium' | 'low';

export interface CategorySpend {
  /** Median ticket in cents (CNY fen). */
  medianCents: number;
  /** Log-space standard deviation of the ticket. */
  sigma: number;
  frequency: Frequency;
}

export const SPEND: Record<Category, CategorySpend> = {
  grocery: { medianCents: 8_000, sigma: 0.7, frequency: 'high' },
  convenience: { medianCents: 1_500, sigma: 0.6, frequency: 'high' },
  coffee: { medianCents: 3_000, sigma: 0.35, frequency: 'high' },
  tea: { medianCents: 1_800, sigma: 0.35, frequency: 'high' },
  restaurant: { medianCents: 12_000, sigma: 0.6, frequency: 'medium' },
  fast_food: { medianCents: 3_500, sigma: 0.4, frequency: 'high' },
  bakery: { medianCents: 2_500, sigma: 0.5, frequency: 'high' },
  bar: { medianCents: 15_000, sigma: 0.6, frequency: 'medium' },
  fashion: { medianCents: 40_000, sigma: 0.8, frequency: 'low' },
  beauty: { medianCents: 25_000, sigma: 0.7, frequency: 'medium' },
  electronics: { medianCents: 150_000, sigma: 1.0, frequency: 'low' },
  books: { medianCents: 6_000, sigma: 0.5, frequency: 'low' },
  sports: { medianCents: 30_000, sigma: 0.8, frequency: 'low' },
  fitness: { medianCents: 20_000, sigma: 0.9, frequency: 'medium' },
  entertainment: { medianCents: 10_000, sigma: 0.6, frequency: 'low' },
  travel: { medianCents: 80_000, sigma: 0.9, frequency: 'low' },
  transport: { medianCents: 2_000, sigma: 0.7, frequency: 'high' },
  pets: { medianCents: 15_000, sigma: 0.7, frequency: 'low' },
  kids: { medianCents: 20_000, sigma: 0.8, frequency: 'low' },
  home: { medianCents: 30_000, sigma: 0.9, frequency: 'low' },
  health: { medianCents: 8_000, sigma: 0.8, frequency: 'medium' },
  education: { medianCents: 50_000, sigma: 0.9, frequency: 'low' },
  online: { medianCents: 12_000, sigma: 0.9, frequency: 'medium' },
  other: { medianCents: 10_000, sigma: 0.9, frequency: 'medium' },
};

/** Smallest ticket written: the default `minAmountCents` of the scoring model keeps every row. */
export const MIN_AMOUNT_CENTS = 100;
export const CURRENCY = 'CNY';

/** Visit-count model per frequency: 1 + geometric(p); regulars come back many more times. */
export const VISITS: Record<
  Frequency,
  { p: number; regularShare: number; regularMin: number; regularMax: number }
> = {
  high: { p: 0.5, regularShare: 0.1, regularMin: 6, regularMax: 26 },
  medium: { p: 0.65, regularShare: 0.05, regularMin: 4, regularMax: 12 },
  low: { p: 0.85, regularShare: 0.015, regularMin: 3, regularMax: 6 },
};

export interface CitySeed {
  name: string;
  lat: number;
  lng: number;
}

/** Cities of one country: every user is in Asia/Shanghai. Sizes follow their order (Zipf). */
export const CITY_SEEDS: readonly CitySeed[] = [
  { name: 'Shanghai', lat: 31.2304, lng: 121.4737 },
  { name: 'Beijing', lat: 39.9042, lng: 116.4074 },
  { name: 'Shenzhen', lat: 22.5431, lng: 114.0579 },
  { name: 'Guangzhou', lat: 23.1291, lng: 113.2644 },
  { name: 'Chengdu', lat: 30.5728, lng: 104.0668 },
  { name: 'Hangzhou', lat: 30.2741, lng: 120.1551 },
  { name: 'Wuhan', lat: 30.5928, lng: 114.3055 },
  { name: 'Nanjing', lat: 32.0603, lng: 118.7969 },
  { name: 'Xian', lat: 34.3416, lng: 108.9398 },
  { name: 'Suzhou', lat: 31.2989, lng: 120.5853 },
  { name: 'Chongqing', lat: 29.563, lng: 106.5516 },
  { name: 'Tianjin', lat: 39.3434, lng: 117.3616 },
];

export const TIMEZONE = 'Asia/Shanghai';
/** Offset of TIMEZONE from UTC in minutes (no daylight saving). */
export const TIMEZONE_OFFSET_MINUTES = 480;

export const NEIGHBOURHOOD_WORDS = [
  'Riverside',
  'Old Town',
  'Lakeview',
  'North Gate',
  'South Gate',
  'East Market',
  'West Hill',
  'Harbour',
  'University',
  'Garden',
  'Station',
  'Bamboo Grove',
  'Silk Lane',
  'Temple Street',
  'Willow Bank',
  'Plum Hill',
  'Jade Park',
  'Bridge',
  'Tech Park',
  'Canal',
];

export const GIVEN_NAMES = [
  'Wei',
  'Fang',
  'Jing',
  'Lei',
  'Min',
  'Yan',
  'Jun',
  'Hui',
  'Xin',
  'Ling',
  'Hao',
  'Yu',
  'Tao',
  'Qing',
  'Chen',
  'Bo',
  'Lan',
  'Mei',
  'Rui',
  'Ning',
  'Kai',
  'Yun',
  'Zhen',
  'Xiao',
  'Jie',
  'Ping',
  'Hong',
  'Li',
  'Shan',
  'An',
];

export const FAMILY_NAMES = [
  'Wang',
  'Li',
  'Zhang',
  'Liu',
  'Chen',
  'Yang',
  'Huang',
  'Zhao',
  'Wu',
  'Zhou',
  'Xu',
  'Sun',
  'Ma',
  'Zhu',
  'Hu',
  'Guo',
  'He',
  'Lin',
  'Gao',
  'Luo',
];

export const NAME_ADJECTIVES = [
  'Golden',
  'Red',
  'Blue',
  'Green',
  'Happy',
  'Lucky',
  'Little',
  'Grand',
  'Quiet',
  'Bright',
  'Silver',
  'Jade',
  'Lotus',
  'Panda',
  'Crane',
  'Dragon',
  'Phoenix',
  'Cloud',
  'Sunny',
  'Maple',
  'Pine',
  'Moon',
  'Star',
  'Harmony',
];

/** Syllables of brand names ("Kaimei", "Tianbao"). */
export const BRAND_SYLLABLES = [
  'Kai',
  'Mei',
  'Hua',
  'Xin',
  'Long',
  'Feng',
  'Tian',
  'Jia',
  'Yue',
  'Bao',
  'Fu',
  'Le',
  'Da',
  'Hong',
  'Jin',
  'Shun',
  'Wan',
  'Yi',
  'Zhi',
  'Ming',
  'Rong',
  'Sheng',
];

/** A noun per category, used to build merchant names. */
export const CATEGORY_NOUNS: Record<Category, readonly string[]> = {
  grocery: ['Market', 'Fresh Mart', 'Grocer', 'Food Hall'],
  convenience: ['Mart', 'Corner Shop', '24h Store', 'Minimart'],
  coffee: ['Coffee', 'Roasters', 'Espresso Bar', 'Cafe'],
  tea: ['Tea House', 'Milk Tea', 'Tea Bar', 'Leaf'],
  restaurant: ['Kitchen', 'Noodle House', 'Dumplings', 'Hotpot', 'Bistro', 'Canteen'],
  fast_food: ['Burger', 'Fried Chicken', 'Buns', 'Express'],
  bakery: ['Bakery', 'Patisserie', 'Bread Shop'],
  bar: ['Bar', 'Taproom', 'Lounge', 'Pub'],
  fashion: ['Apparel', 'Boutique', 'Outfitters', 'Wear'],
  beauty: ['Salon', 'Beauty', 'Cosmetics', 'Spa'],
  electronics: ['Electronics', 'Digital', 'Gadgets', 'Mobile'],
  books: ['Books', 'Bookstore', 'Reading Room'],
  sports: ['Sports', 'Outdoor', 'Athletics'],
  fitness: ['Gym', 'Fitness', 'Yoga Studio', 'Climbing'],
  entertainment: ['Cinema', 'KTV', 'Arcade', 'Theatre'],
  travel: ['Travel', 'Hotels', 'Tours', 'Air'],
  transport: ['Metro', 'Rides', 'Bikes', 'Taxi'],
  pets: ['Pet Shop', 'Pet Care', 'Vet'],
  kids: ['Kids', 'Toys', 'Playland'],
  home: ['Home', 'Furniture', 'Living', 'Hardware'],
  health: ['Pharmacy', 'Clinic', 'Dental', 'Health'],
  education: ['Academy', 'Language School', 'Learning', 'Tutoring'],
  online: ['Online', 'Shop', 'Direct', 'Store'],
  other: ['Services', 'Laundry', 'Print Shop', 'Repairs'],
};
